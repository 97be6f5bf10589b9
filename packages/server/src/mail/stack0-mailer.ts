import { PROVIDER_ENDPOINTS } from './defaults.js';
import { type HTTPDelivery, postJSON } from './http-delivery.js';
import type { HTTPAPISettings } from './mail-options.js';
import type { Mailer } from './mailer.js';

/**
 * Stack0. The path, Bearer auth and body shape are an assumption, not taken from published
 * documentation: see PROVIDER_ENDPOINTS.stack0 in defaults.ts.
 */
export function createStack0Mailer(settings: HTTPAPISettings, delivery: HTTPDelivery): Mailer {
  const url = settings.baseURL + PROVIDER_ENDPOINTS.stack0.path;
  return {
    provider: 'stack0',
    async send(message) {
      const body = {
        from: settings.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
      };
      await postJSON('stack0', { url, body, apiKey: settings.apiKey }, delivery);
    },
  };
}
