import { SLUG_PATTERN } from './slug.js';

/**
 * The one catalogue of error codes: each code's HTTP status and the default message a person reads.
 * Identity codes (`/api/auth/*`) are UPPER_SNAKE; RBAC codes (the pylon-cli contract) are snake_case,
 * exactly as the wire shows them. Adding a code here is the only way to introduce a new one, so the
 * compiler catches typos in handlers, and a code has one status wherever it is thrown.
 */
export interface ErrorSpec {
  /** The HTTP status every answer with this code carries (4xx or 5xx). */
  readonly status: number;
  /** The default message; a throw site may give a more specific one. */
  readonly message: string;
}

export const AUTH_ERRORS = {
  BAD_REQUEST: { status: 400, message: 'The request is malformed' },
  VALIDATION_FAILED: { status: 400, message: 'invalid input' },
  NOT_FOUND: { status: 404, message: 'No such resource' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This method is not allowed here' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the body as application/json' },
  INTERNAL_ERROR: { status: 500, message: 'Internal error' },
  AUDIT_CHAIN_BROKEN: {
    status: 500,
    message:
      'The change was not made: the audit log holds an entry written behind Pylon’s back; an operator must run `pylon audit verify`',
  },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The database cannot be reached; try again shortly' },
  CONFIGURATION_ERROR: {
    status: 503,
    message: 'Pylon refused its configuration; the deployment log says what to change for each setting',
  },
  STARTUP_FAILED: { status: 503, message: 'Pylon could not start; see the deployment log' },
  UNAUTHORIZED: { status: 401, message: 'Sign in first: send a session or the admin token' },
  FORBIDDEN: { status: 403, message: 'You may not do this' },
  CSRF_FAILED: {
    status: 403,
    message: 'Cross-site request refused: send it from a trusted origin or with a bearer token',
  },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  MISSING_EMAIL: { status: 400, message: 'email is required' },
  INVALID_EMAIL: { status: 400, message: 'email is not a valid address' },
  EMAIL_SEND_FAILED: { status: 500, message: 'The email could not be sent; try again' },
  MISSING_CODE: { status: 400, message: 'code is required' },
  INVALID_CODE: { status: 401, message: 'The code is wrong, expired or already used' },
  WEAK_PASSWORD: { status: 400, message: 'password must be 10–256 characters' },
  EMAIL_TAKEN: { status: 409, message: 'An account with this email exists; sign in instead' },
  PWNED_PASSWORD: {
    status: 400,
    message: 'This password appears in a known data breach; choose another one',
  },
  CAPTCHA_REQUIRED: { status: 400, message: 'captchaToken is required' },
  CAPTCHA_FAILED: { status: 400, message: 'The captcha was not accepted; try it again' },
  INVALID_CREDENTIALS: { status: 401, message: 'Email or password is incorrect' },
  WRONG_PASSWORD: { status: 401, message: 'The current password is incorrect' },
  SESSION_EXPIRED: { status: 401, message: 'The session is expired or revoked; sign in again' },
  SESSION_NOT_FOUND: { status: 404, message: 'No such session' },
  INVALID_TOKEN: { status: 401, message: 'The reset token is unknown, expired or already used' },
  NOT_A_GUEST: { status: 409, message: 'No guest with this id' },
  PROVIDER_NOT_FOUND: { status: 404, message: 'No such sign-in provider is configured' },
  UNTRUSTED_REDIRECT: { status: 403, message: 'callback must be an absolute URL on a trusted origin' },
  OAUTH_INVALID_STATE: {
    status: 403,
    message: 'The sign-in state is unknown, expired, already used or was started in another browser',
  },
  OAUTH_PROVIDER_ERROR: { status: 400, message: 'The provider did not grant the sign-in' },
  OAUTH_TOKEN_EXCHANGE_FAILED: {
    status: 502,
    message: 'The sign-in could not be completed with the provider',
  },
  OAUTH_ACCOUNT_CONFLICT: { status: 409, message: 'Another account has this email; sign in to it first' },
  ORG_NOT_FOUND: { status: 404, message: 'No such org' },
  ORG_EXISTS: { status: 409, message: 'An org with this id exists' },
  BAD_ORG_ID: { status: 400, message: `id must match ${SLUG_PATTERN.source}` },
  DEFAULT_ORG: { status: 409, message: "The deployment's default org cannot be deleted" },
  NOT_A_MEMBER: { status: 403, message: 'You are not a member of this org' },
  BAD_ROLE: { status: 400, message: 'role must be owner, admin or member' },
  LAST_OWNER: { status: 409, message: 'The last owner cannot leave or be removed' },
  REAUTH_REQUIRED: {
    status: 403,
    message: 'This needs a sign-in within the last 5 minutes: sign in again, then retry',
  },
  LAST_SIGN_IN_METHOD: {
    status: 409,
    message: 'This is the last way to sign in to the account; add another one first',
  },
  LINKED_ACCOUNT_NOT_FOUND: { status: 404, message: 'No such linked account' },
  IDENTITY_ALREADY_LINKED: {
    status: 409,
    message: 'This provider account is linked to another account; unlink it there first',
  },
  LINK_SESSION_MISMATCH: {
    status: 403,
    message: 'Finish linking in the browser and session that started it',
  },
  EMAIL_UNCHANGED: { status: 400, message: 'newEmail is already the address of this account' },
  MEMBER_NOT_FOUND: { status: 404, message: 'No such member' },
  INVITE_NOT_FOUND: { status: 404, message: 'No such invite' },
  INVITE_EXPIRED: { status: 410, message: 'This invite has expired; ask for a new one' },
  ALREADY_ACCEPTED: { status: 409, message: 'This invite was already used' },
  WRONG_EMAIL: { status: 403, message: 'This invite was sent to another email address' },
  EMAIL_NOT_VERIFIED: {
    status: 403,
    message: 'Open the link in the invitation email, or verify your email address first',
  },
  ALREADY_MEMBER: { status: 409, message: 'You are already a member of this org' },
  TOTP_ALREADY_ENABLED: { status: 409, message: 'Disable TOTP first to enrol a new authenticator' },
  TOTP_NOT_ENROLLED: { status: 400, message: 'TOTP is not enabled' },
  INVALID_MFA_TOKEN: {
    status: 401,
    message: 'The sign-in expired or had too many wrong codes; sign in again',
  },
  API_KEY_AUTH_FORBIDDEN: {
    status: 403,
    message: 'API keys cannot manage keys, TOTP, sessions or orgs; use a session',
  },
  INVALID_API_KEY: { status: 401, message: 'This API key is not valid' },
  API_KEY_EXPIRED: { status: 401, message: 'This API key has expired' },
  API_KEY_NOT_FOUND: { status: 404, message: 'No such API key' },
  AUTH_REQUIRED: { status: 401, message: 'Sign in to an account first: send its session' },
  TRUSTED_DEVICE_NOT_FOUND: { status: 404, message: 'No such trusted device' },
  INVALID_JWT: { status: 401, message: 'The bearer JWT is not valid for any configured issuer' },
  MISSING_FIELDS: { status: 400, message: 'A required field is missing' },
  BAD_DEFAULT_ROLE: { status: 400, message: 'default_role must be member or admin' },
  DOMAIN_BLOCKLISTED: { status: 400, message: 'Public email domains cannot be claimed for SSO' },
  DOMAIN_NOT_ALLOWED: { status: 400, message: 'This deployment does not allow SSO for this domain' },
  DISCOVERY_FAILED: { status: 400, message: 'The identity provider’s discovery document could not be read' },
  INSECURE_SSO_URL: { status: 400, message: 'Identity provider URLs must use https' },
  DOMAIN_ALREADY_CLAIMED: { status: 409, message: 'Another org has claimed this email domain for SSO' },
  SSO_SECRET_SEAL_FAILED: { status: 500, message: 'The client secret could not be sealed' },
  INVALID_SSO_STATE: {
    status: 403,
    message: 'The SSO state is unknown, expired, already used, for another org or from another browser',
  },
  NO_SSO_FOR_DOMAIN: { status: 404, message: 'No org has SSO for this email domain' },
  REDIRECT_URI_UNAVAILABLE: {
    status: 500,
    message: 'PYLON_PUBLIC_URL is needed to build the SSO redirect URI',
  },
  SSO_NOT_CONFIGURED: { status: 404, message: 'This org has no SSO connection of this kind' },
  SSO_SIGN_IN_FAILED: { status: 502, message: 'The identity provider did not complete the sign-in' },
  INVALID_SAML_RESPONSE: { status: 400, message: 'The SAML response was refused' },
  SAML_ASSERTION_REPLAYED: { status: 400, message: 'This SAML assertion was already used; sign in again' },
  PASSKEY_NOT_FOUND: { status: 404, message: 'No such passkey' },
  INVALID_PASSKEY: { status: 401, message: 'The passkey could not be verified' },
  PASSKEY_CHALLENGE_EXPIRED: {
    status: 400,
    message: 'The passkey challenge is unknown, expired, already used or from another browser; start again',
  },
  PASSKEY_ALREADY_REGISTERED: { status: 409, message: 'This passkey is already registered' },
  INVALID_PASSKEY_REGISTRATION: { status: 400, message: 'The new passkey could not be verified' },
} as const satisfies Record<string, ErrorSpec>;

export const RBAC_ERRORS = {
  bad_request: { status: 400, message: 'The request is malformed' },
  validation_failed: { status: 400, message: 'invalid input' },
  not_found: { status: 404, message: 'No such resource' },
  method_not_allowed: { status: 405, message: 'This method is not allowed here' },
  payload_too_large: { status: 413, message: 'The body is too large' },
  unsupported_media_type: { status: 415, message: 'Send the body as application/json' },
  server_error: { status: 500, message: 'Internal error' },
  audit_chain_broken: {
    status: 500,
    message:
      'The change was not made: the audit log holds an entry written behind Pylon’s back; an operator must run `pylon audit verify`',
  },
  service_unavailable: { status: 503, message: 'The database cannot be reached; try again shortly' },
  configuration_error: {
    status: 503,
    message: 'Pylon refused its configuration; the deployment log says what to change for each setting',
  },
  startup_failed: { status: 503, message: 'Pylon could not start; see the deployment log' },
  unauthorized: { status: 401, message: 'Sign in first' },
  forbidden: { status: 403, message: 'You may not do this' },
  org_not_found: { status: 404, message: 'No such org' },
  invalid_app_id: { status: 400, message: 'No such app in this org' },
  no_session: { status: 401, message: 'Send a session: Authorization: Bearer pylon_…' },
  expired: { status: 401, message: 'The session has expired; sign in again' },
  // 401 as for `POST /token`: the session is valid but bound to another org than this URL's.
  org_mismatch: { status: 401, message: 'This session belongs to another org' },
  app_disabled: { status: 403, message: 'This app is disabled' },
  app_exists: { status: 409, message: 'An app with this name exists in this org' },
  app_not_found: { status: 404, message: 'No such app in this org' },
  app_token_invalid: { status: 401, message: 'X-Pylon-App-Token is missing or not this app’s token' },
  namespace_violation: { status: 422, message: 'The schema names something outside its app’s namespace' },
  invalid_schema: { status: 400, message: 'The schema is not valid' },
  schema_pending: { status: 409, message: 'Another version is waiting for approval' },
  nothing_pending: { status: 404, message: 'No version is waiting for approval' },
  insufficient_capability: { status: 403, message: 'This needs a capability the caller does not hold' },
  // NOT_A_MEMBER on the identity surface; here a grant in the app counts as well as membership.
  not_a_member: {
    status: 403,
    message: 'You are not a member of this org and hold no grant in this app',
  },
  invalid_archetype: { status: 400, message: 'Not an archetype of the app’s current schema' },
  invalid_capability: { status: 400, message: 'Not a capability of the app’s current schema' },
  invalid_email: { status: 400, message: 'email is not a valid address' },
  grant_not_found: { status: 404, message: 'No such grant' },
  invalid_cursor: { status: 400, message: 'cursor is not one this server gave out' },
  not_bootstrap_email: { status: 403, message: 'Only the bootstrap admin email may bootstrap' },
  bootstrap_consumed: { status: 409, message: 'Bootstrap was already used in this org' },
  unknown_user_code: { status: 404, message: 'No pending request has this code' },
  slow_down: { status: 429, message: 'Too many requests; slow down' },
  email_not_verified: {
    status: 403,
    message: 'Verify your email address first (an emailed code proves it): grants are given to addresses',
  },
  client_not_found: { status: 404, message: 'No such OAuth client in this org' },
  consent_not_found: { status: 404, message: 'No such consent' },
  invalid_redirect_uri: {
    status: 400,
    message: 'redirect_uris must be https URLs, or http on a loopback host, without a fragment',
  },
  invalid_resource: {
    status: 400,
    message:
      'resource must be an https URL (http only on a loopback host in development), without a fragment',
  },
  resource_taken: { status: 409, message: 'Another app in this org answers for this resource' },
} as const satisfies Record<string, ErrorSpec>;

export type AuthErrorCode = keyof typeof AUTH_ERRORS;
export type RbacErrorCode = keyof typeof RBAC_ERRORS;
export type ErrorCode = AuthErrorCode | RbacErrorCode;

export const AUTH_ERROR_CODES = Object.keys(AUTH_ERRORS) as readonly AuthErrorCode[];
export const RBAC_ERROR_CODES = Object.keys(RBAC_ERRORS) as readonly RbacErrorCode[];

const CATALOGUE: Readonly<Record<string, ErrorSpec>> = { ...AUTH_ERRORS, ...RBAC_ERRORS };

/** The catalogue entry of a code, or undefined for a string that is not one. */
export function errorSpec(code: string): ErrorSpec | undefined {
  return Object.hasOwn(CATALOGUE, code) ? CATALOGUE[code] : undefined;
}

export interface PylonErrorOptions {
  /** A more specific message than the catalogue's default for this code. */
  message?: string;
  hint?: string;
  /** Extra headers the boundary sets on the response (e.g. `Retry-After`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * The one error type every layer throws on purpose. A throw site names a code; the status (and,
 * unless the site says more, the message) comes from the catalogue. The HTTP boundary renders it in
 * the surface's shape; anything that is not a PylonError becomes a 500 whose details stay in the log.
 */
export class PylonError extends Error {
  override readonly name = 'PylonError';
  readonly status: number;
  readonly hint: string | undefined;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    options: PylonErrorOptions = {},
  ) {
    const spec = errorSpec(code);
    if (!spec) throw new TypeError(`Unknown error code: ${code}`);
    super(
      options.message ?? spec.message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.status = spec.status;
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
