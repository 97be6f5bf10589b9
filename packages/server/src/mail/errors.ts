/**
 * Mail failures. Each carries a stable `code` the HTTP layer maps to the wire: a refused message is
 * the caller's fault (400), a failed delivery is ours (500 `EMAIL_SEND_FAILED`).
 *
 * No message here ever includes the email body, the recipient's code or link, a provider's response
 * body or an API key: these errors end up in logs.
 */
export type MailErrorCode = 'EMAIL_SEND_FAILED' | 'MAIL_HEADER_INJECTION' | 'INVALID_EMAIL';

export abstract class MailError extends Error {
  abstract readonly code: MailErrorCode;
}

/** Why a delivery failed, for logs and metrics; never the provider's own words. */
export type MailDeliveryFailure = 'http_status' | 'network' | 'timeout' | 'rejected';

/**
 * Why a send failed, for a log line: a mail error's message, which names no address, code, link or
 * body (above); of anything else only its class name, since its message may quote any of them.
 */
export function mailFailureReason(error: unknown): string {
  if (error instanceof MailError) return error.message;
  return error instanceof Error ? error.name : 'unknown';
}

export class MailDeliveryError extends MailError {
  override readonly name = 'MailDeliveryError';
  readonly code = 'EMAIL_SEND_FAILED';
  readonly provider: string;
  readonly failure: MailDeliveryFailure;
  /** The provider's HTTP status, or the SMTP reply code, when there was one. */
  readonly status: number | undefined;

  constructor(
    provider: string,
    failure: MailDeliveryFailure,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(
      describeFailure(provider, failure, options.status),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.provider = provider;
    this.failure = failure;
    this.status = options.status;
  }
}

function describeFailure(provider: string, failure: MailDeliveryFailure, status: number | undefined): string {
  switch (failure) {
    case 'http_status':
      return `${provider}: email delivery failed with HTTP status ${status}`;
    case 'network':
      return `${provider}: email delivery failed: could not reach the mail provider`;
    case 'timeout':
      return `${provider}: email delivery timed out`;
    case 'rejected':
      return `${provider}: email delivery rejected by the mail server${status === undefined ? '' : ` (reply ${status})`}`;
  }
}

/** A header field that would break out of its line: CR or LF in `to`, `from` or `subject`. */
export class MailHeaderInjectionError extends MailError {
  override readonly name = 'MailHeaderInjectionError';
  readonly code = 'MAIL_HEADER_INJECTION';

  constructor(readonly field: 'to' | 'from' | 'subject') {
    super(`email ${field} contains a line break; refused before sending`);
  }
}

/** A recipient that is not exactly one plain email address. */
export class MailAddressError extends MailError {
  override readonly name = 'MailAddressError';
  readonly code = 'INVALID_EMAIL';

  constructor() {
    super('email recipient must be a single email address');
  }
}
