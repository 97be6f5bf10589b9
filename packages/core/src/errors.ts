/**
 * Stable error codes. Identity codes (`/api/auth/*`) are UPPER_SNAKE; RBAC codes (the pylon-cli
 * contract) are snake_case, exactly as the wire shows them. Adding a code here is the only way to
 * introduce a new one, so the compiler catches typos in handlers.
 */
export const AUTH_ERROR_CODES = [
  'BAD_REQUEST',
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'INTERNAL_ERROR',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'CSRF_FAILED',
  'RATE_LIMITED',
  'MISSING_EMAIL',
  'INVALID_EMAIL',
  'EMAIL_SEND_FAILED',
  'MISSING_CODE',
  'INVALID_CODE',
  'WEAK_PASSWORD',
  'EMAIL_TAKEN',
  'INVALID_CREDENTIALS',
  'WRONG_PASSWORD',
  'SESSION_EXPIRED',
  'SESSION_NOT_FOUND',
  'INVALID_TOKEN',
  'NOT_A_GUEST',
  'PROVIDER_NOT_FOUND',
  'UNTRUSTED_REDIRECT',
  'OAUTH_INVALID_STATE',
  'OAUTH_PROVIDER_ERROR',
  'OAUTH_TOKEN_EXCHANGE_FAILED',
  'OAUTH_ACCOUNT_CONFLICT',
  'ORG_NOT_FOUND',
  'ORG_EXISTS',
  'BAD_ORG_ID',
  'DEFAULT_ORG',
  'NOT_A_MEMBER',
  'BAD_ROLE',
  'LAST_OWNER',
  'MEMBER_NOT_FOUND',
  'INVITE_NOT_FOUND',
  'INVITE_EXPIRED',
  'ALREADY_ACCEPTED',
  'WRONG_EMAIL',
  'EMAIL_NOT_VERIFIED',
  'ALREADY_MEMBER',
  'TOTP_ALREADY_ENABLED',
  'TOTP_NOT_ENROLLED',
  'INVALID_MFA_TOKEN',
  'API_KEY_AUTH_FORBIDDEN',
  'INVALID_API_KEY',
  'API_KEY_EXPIRED',
  'API_KEY_NOT_FOUND',
  'INVALID_JWT',
] as const;

export const RBAC_ERROR_CODES = [
  'bad_request',
  'validation_failed',
  'not_found',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'server_error',
  'unauthorized',
  'forbidden',
  'org_not_found',
  'invalid_app_id',
  'no_session',
  'expired',
  'org_mismatch',
  'app_disabled',
  'app_exists',
  'app_not_found',
  'app_token_invalid',
  'namespace_violation',
  'invalid_schema',
  'schema_pending',
  'nothing_pending',
  'insufficient_capability',
  'invalid_archetype',
  'invalid_capability',
  'invalid_email',
  'grant_not_found',
  'invalid_cursor',
  'not_bootstrap_email',
  'bootstrap_consumed',
  'unknown_user_code',
  'slow_down',
  'email_not_verified',
] as const;

export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];
export type RbacErrorCode = (typeof RBAC_ERROR_CODES)[number];
export type ErrorCode = AuthErrorCode | RbacErrorCode;

export interface PylonErrorOptions {
  hint?: string;
  /** Extra headers the boundary sets on the response (e.g. `Retry-After`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * The one error type every layer throws on purpose. The HTTP boundary renders it in the surface's
 * shape; anything that is not a PylonError becomes a 500 whose details stay in the log.
 */
export class PylonError extends Error {
  override readonly name = 'PylonError';
  readonly hint: string | undefined;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    options: PylonErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
    this.headers = options.headers ?? {};
  }
}

/** The code with the same meaning on the other surface, so shared middleware can throw one error. */
export function toRbacCode(code: ErrorCode): string {
  return code.toLowerCase();
}

export function toAuthCode(code: ErrorCode): string {
  return code.toUpperCase();
}
