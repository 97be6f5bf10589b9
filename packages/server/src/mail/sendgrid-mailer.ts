import { parseMailbox } from './address.js';
import { PROVIDER_ENDPOINTS } from './defaults.js';
import { type HTTPDelivery, postJSON } from './http-delivery.js';
import type { HTTPAPISettings } from './mail-options.js';
import type { Mailer } from './mailer.js';

/**
 * SendGrid v3 Mail Send: recipients in `personalizations`, the sender as `{email, name?}`, parts in
 * `content` with text/plain before text/html, as the API requires
 * (https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send). Success is 202.
 */
export function createSendGridMailer(settings: HTTPAPISettings, delivery: HTTPDelivery): Mailer {
  const url = settings.baseURL + PROVIDER_ENDPOINTS.sendgrid.path;
  // resolveMailOptions already refused a sender that does not parse.
  const from = parseMailbox(settings.from) ?? { email: settings.from };
  return {
    provider: 'sendgrid',
    async send(message) {
      const content = [{ type: 'text/plain', value: message.text }];
      if (message.html !== undefined) content.push({ type: 'text/html', value: message.html });
      const body = {
        personalizations: [{ to: [{ email: message.to }] }],
        from,
        subject: message.subject,
        content,
      };
      await postJSON('sendgrid', { url, body, apiKey: settings.apiKey }, delivery);
    },
  };
}
