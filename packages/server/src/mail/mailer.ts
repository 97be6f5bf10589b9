import type { Logger } from '../logger.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** The email port. Providers (console, SMTP, HTTP APIs) implement it; features only see this. */
export interface Mailer {
  readonly provider: string;
  send(message: MailMessage): Promise<void>;
}

/**
 * Development default: prints the message to the log. This is the only place a code may appear
 * in a log, and it is refused in production by config.
 */
export function createConsoleMailer(logger: Logger): Mailer {
  return {
    provider: 'console',
    async send(message) {
      logger.info(`email to ${message.to}: ${message.subject}\n${message.text}`);
    },
  };
}
