import { PROVIDER_ENDPOINTS } from './defaults.js';
import { type HTTPDelivery, postJSON } from './http-delivery.js';
import type { HTTPAPISettings } from './mail-options.js';
import type { Mailer } from './mailer.js';

/** Resend: `POST /emails`, `to` as a list (https://resend.com/docs/api-reference/emails/send-email). */
export function createResendMailer(settings: HTTPAPISettings, delivery: HTTPDelivery): Mailer {
  const url = settings.baseURL + PROVIDER_ENDPOINTS.resend.path;
  return {
    provider: 'resend',
    async send(message) {
      const body = {
        from: settings.from,
        to: [message.to],
        subject: message.subject,
        text: message.text,
        html: message.html,
      };
      await postJSON('resend', { url, body, apiKey: settings.apiKey }, delivery);
    },
  };
}
