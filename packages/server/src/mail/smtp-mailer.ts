import { createTransport, type NodemailerError } from 'nodemailer';
import { MailDeliveryError, type MailDeliveryFailure } from './errors.js';
import type { SMTPSettings } from './mail-options.js';
import type { Mailer } from './mailer.js';

/**
 * SMTP through nodemailer. `smtps://` is implicit TLS (port 465); `smtp://` upgrades with STARTTLS
 * whenever the server offers it. One connection per message: sign-in mail is rare and bursty, and
 * no pool means nothing to close on shutdown.
 */
export function createSMTPMailer(settings: SMTPSettings, options: { timeoutMs: number }): Mailer {
  const transport = createTransport({
    url: settings.smtpURL,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    // Messages are plain strings; nothing we send may make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    provider: 'smtp',
    async send(message) {
      try {
        await transport.sendMail({
          from: settings.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          ...(message.html === undefined ? {} : { html: message.html }),
          // Bounds the whole exchange, not just each socket wait.
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        const failure = classify(error as NodemailerError);
        const status = (error as NodemailerError).responseCode;
        throw new MailDeliveryError('smtp', failure, {
          cause: error,
          ...(status === undefined ? {} : { status }),
        });
      }
    },
  };
}

function classify(error: NodemailerError): MailDeliveryFailure {
  switch (error.code) {
    case 'EABORT':
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'EDNS':
    case 'ETLS':
      return 'network';
    default:
      return 'rejected';
  }
}
