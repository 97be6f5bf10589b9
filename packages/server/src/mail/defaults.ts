/** Every default the mail module uses, each with the reason it has that value. */
export const MAIL_DEFAULTS = {
  /** Console prints to the log, so a fresh checkout can sign in without any mail account. */
  provider: 'console',
  /** Readable in a development inbox; production must set a real sender (see mail-options.ts). */
  from: 'Pylon <no-reply@localhost>',
  /** Long enough for a slow provider, short enough that a sign-in request does not hang. */
  timeoutMs: 10_000,
} as const;

/**
 * Where each HTTP API lives: the base URL (overridable by PYLON_EMAIL_BASE_URL, for tests and
 * regional or proxied endpoints) and the path appended to it.
 */
export const PROVIDER_ENDPOINTS = {
  /** https://resend.com/docs/api-reference/emails/send-email */
  resend: { baseURL: 'https://api.resend.com', path: '/emails' },
  /** https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send */
  sendgrid: { baseURL: 'https://api.sendgrid.com', path: '/v3/mail/send' },
  /**
   * Assumed, not taken from published documentation: Stack0's mail API is taken to accept
   * `POST /v1/mail/send` with a Bearer API key and a Resend-like JSON body `{from, to, subject,
   * text, html}`, any 2xx meaning accepted. Point PYLON_EMAIL_BASE_URL elsewhere if it differs.
   */
  stack0: { baseURL: 'https://api.stack0.com', path: '/v1/mail/send' },
} as const;
