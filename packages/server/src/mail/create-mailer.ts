import type { Logger } from '../logger.js';
import { MAIL_DEFAULTS } from './defaults.js';
import type { Fetch, HTTPDelivery } from './http-delivery.js';
import { type MailOptions, type ResolvedMailOptions, resolveMailOptions } from './mail-options.js';
import { createConsoleMailer, type Mailer } from './mailer.js';
import { checkOutgoingMessage } from './message-guard.js';
import { createResendMailer } from './resend-mailer.js';
import { createSendGridMailer } from './sendgrid-mailer.js';
import { createSMTPMailer } from './smtp-mailer.js';
import { createStack0Mailer } from './stack0-mailer.js';
import { createWebhookMailer } from './webhook-mailer.js';

export interface MailerDeps {
  readonly logger: Logger;
  /** Used by the HTTP providers; the global fetch when omitted. */
  readonly fetch?: Fetch;
  /** Upper bound on one delivery, connection included. */
  readonly timeoutMs?: number;
}

/**
 * The mailer for the configured provider. Options are checked here (ConfigError naming the
 * variable), and every message is checked before it reaches any provider.
 */
export function createMailer(options: MailOptions, deps: MailerDeps): Mailer {
  const settings = resolveMailOptions(options);
  const delivery: HTTPDelivery = {
    fetch: deps.fetch ?? globalThis.fetch,
    timeoutMs: deps.timeoutMs ?? MAIL_DEFAULTS.timeoutMs,
  };
  const inner = createProviderMailer(settings, deps.logger, delivery);
  return {
    provider: inner.provider,
    async send(message) {
      checkOutgoingMessage(message, settings.from);
      await inner.send(message);
    },
  };
}

function createProviderMailer(settings: ResolvedMailOptions, logger: Logger, delivery: HTTPDelivery): Mailer {
  switch (settings.provider) {
    case 'console':
      return createConsoleMailer(logger);
    case 'smtp':
      return createSMTPMailer(settings, { timeoutMs: delivery.timeoutMs });
    case 'webhook':
      return createWebhookMailer(settings, delivery);
    case 'resend':
      return createResendMailer(settings, delivery);
    case 'sendgrid':
      return createSendGridMailer(settings, delivery);
    case 'stack0':
      return createStack0Mailer(settings, delivery);
  }
}
