import { type HTTPDelivery, postJSON } from './http-delivery.js';
import type { WebhookSettings } from './mail-options.js';
import type { Mailer } from './mailer.js';

/**
 * A generic hook for anything else (a relay, a queue, a test sink): one JSON document
 * `{to, from, subject, text, html}` per message, with `Authorization: Bearer` only when
 * PYLON_EMAIL_API_KEY is set.
 */
export function createWebhookMailer(settings: WebhookSettings, delivery: HTTPDelivery): Mailer {
  return {
    provider: 'webhook',
    async send(message) {
      const body = {
        to: message.to,
        from: settings.from,
        subject: message.subject,
        text: message.text,
        html: message.html,
      };
      await postJSON('webhook', { url: settings.endpoint, body, apiKey: settings.apiKey }, delivery);
    },
  };
}
