import { hasLineBreak, isEmailAddress } from './address.js';
import { MailAddressError, MailHeaderInjectionError } from './errors.js';
import type { MailMessage } from './mailer.js';

/**
 * Refuse a message before any provider sees it: a line break in a header field would let the
 * caller add headers (`Bcc:`) or start the body early, and a recipient list would turn one code
 * email into a mass mailing. Runs for every provider, console included, so development catches it.
 */
export function checkOutgoingMessage(message: MailMessage, from: string): void {
  if (hasLineBreak(message.to)) throw new MailHeaderInjectionError('to');
  if (hasLineBreak(from)) throw new MailHeaderInjectionError('from');
  if (hasLineBreak(message.subject)) throw new MailHeaderInjectionError('subject');
  if (!isEmailAddress(message.to)) throw new MailAddressError();
}
