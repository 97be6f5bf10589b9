export { isEmailAddress, type Mailbox, parseMailbox } from './address.js';
export { createMailer, type MailerDeps } from './create-mailer.js';
export { MAIL_DEFAULTS, PROVIDER_ENDPOINTS } from './defaults.js';
export { type EmailBrand, escapeHTML, type RenderedEmail } from './email-layout.js';
export {
  MailAddressError,
  MailDeliveryError,
  type MailDeliveryFailure,
  MailError,
  type MailErrorCode,
  MailHeaderInjectionError,
  mailFailureReason,
} from './errors.js';
export type { Fetch } from './http-delivery.js';
export { parseMailConfig } from './mail-config.js';
export {
  MAIL_PROVIDERS,
  MAIL_VARIABLES,
  type MailOptions,
  type MailPolicy,
  type MailProvider,
} from './mail-options.js';
export type { Mailer, MailMessage } from './mailer.js';
export {
  renderEmailVerificationEmail,
  renderInviteEmail,
  renderMagicCodeEmail,
  renderPasswordResetEmail,
} from './templates.js';
