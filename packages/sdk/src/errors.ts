/**
 * One base class with a stable `code`, as jose's `JOSEError`: callers branch on `code`, never on
 * the message. Messages never carry a token, and never say why a token failed (that reason goes
 * to `onEvent('token.verify.failed')` only).
 */
export const SDK_ERROR_CODES = [
  'no_session',
  'token_invalid',
  'org_mismatch',
  'insufficient_capability',
  'key_set_unavailable',
  'org_discovery_failed',
  'request_failed',
  'schema_push_failed',
  'namespace_violation',
  'invalid_schema',
  'app_token_invalid',
  'invalid_argument',
] as const;

export type SDKErrorCode = (typeof SDK_ERROR_CODES)[number];

export class PylonSDKError extends Error {
  override name = 'PylonSDKError';
  readonly code: SDKErrorCode;
  /** HTTP status Pylon answered with, when the error came from a response. */
  readonly status: number | undefined;
  /** Pylon's own `error` field, when it sent one (e.g. `app_disabled`, `schema_pending`). */
  readonly serverCode: string | undefined;

  constructor(code: SDKErrorCode, message: string, details: { status?: number; serverCode?: string } = {}) {
    super(message);
    this.code = code;
    this.status = details.status;
    this.serverCode = details.serverCode;
  }
}

/** No session to mint with: none configured, or Pylon refused it (`no_session`, `expired`). */
export class NoSessionError extends PylonSDKError {
  override name = 'NoSessionError';
  constructor(message = 'No Pylon session: set PYLON_SESSION_TOKEN or pass sessionToken', details = {}) {
    super('no_session', message, details);
  }
}

/**
 * What a client's messages call the tokens it takes: a client made with `resource` is an OAuth
 * resource server, whose callers (MCP clients) hold access tokens and know that word, not ours.
 */
export type TokenKind = 'scoped token' | 'access token';

export function tokenKind(resource: string | undefined): TokenKind {
  return resource === undefined ? 'scoped token' : 'access token';
}

export class TokenInvalidError extends PylonSDKError {
  override name = 'TokenInvalidError';
  constructor(kind: TokenKind = 'scoped token') {
    super('token_invalid', `The ${kind} is not valid`);
  }
}

/** The session belongs to another org than the one this client serves. */
export class OrgMismatchError extends PylonSDKError {
  override name = 'OrgMismatchError';
  constructor(details: { status?: number; serverCode?: string } = {}) {
    super('org_mismatch', 'The session is active in another org than this app’s', details);
  }
}

/**
 * `requireCapability` refused: the actor lacks the capability (`insufficient_capability`, a 403),
 * or there is no actor at all — `resolve` answered null for a request without a valid token —
 * which carries `no_session`, the code `pylonGuard` answers such a request with (a 401).
 */
export class CapabilityDeniedError extends PylonSDKError {
  override name = 'CapabilityDeniedError';
  declare readonly code: 'insufficient_capability' | 'no_session';
  readonly capability: string;
  constructor(capability: string, options: { noActor?: boolean } = {}) {
    super(
      options.noActor ? 'no_session' : 'insufficient_capability',
      options.noActor
        ? `This action needs the capability ${capability}: there is no verified token`
        : `This action needs the capability ${capability}`,
    );
    this.capability = capability;
  }
}

/** No key set was ever loaded (Pylon unreachable since start-up): nothing can be verified. */
export class KeySetUnavailableError extends PylonSDKError {
  override name = 'KeySetUnavailableError';
  constructor() {
    super('key_set_unavailable', 'The Pylon key set could not be loaded');
  }
}

/**
 * `GET {orgUrl}/discover` failed or answered something this client must not trust (an `api_url`
 * on another origin, another org than `expectedOrgId`): nothing can be verified or minted.
 */
export class OrgDiscoveryError extends PylonSDKError {
  override name = 'OrgDiscoveryError';
  constructor(message: string, details: { status?: number } = {}) {
    super('org_discovery_failed', message, details);
  }
}

/** Pylon answered something the SDK has no narrower error for (or could not be reached). */
export class PylonRequestError extends PylonSDKError {
  override name = 'PylonRequestError';
  constructor(message: string, details: { status?: number; serverCode?: string } = {}) {
    super('request_failed', message, details);
  }
}

export class SchemaPushFailedError extends PylonSDKError {
  override name = 'SchemaPushFailedError';
  constructor(message: string, details: { status?: number; serverCode?: string } = {}) {
    super('schema_push_failed', message, details);
  }
}

export class NamespaceViolationError extends PylonSDKError {
  override name = 'NamespaceViolationError';
  constructor(message: string, details: { status?: number; serverCode?: string } = {}) {
    super('namespace_violation', message, details);
  }
}

export class InvalidSchemaError extends PylonSDKError {
  override name = 'InvalidSchemaError';
  constructor(message: string, details: { status?: number; serverCode?: string } = {}) {
    super('invalid_schema', message, details);
  }
}

export class AppTokenInvalidError extends PylonSDKError {
  override name = 'AppTokenInvalidError';
  constructor(details: { status?: number; serverCode?: string } = {}) {
    super('app_token_invalid', 'Pylon refused the app token (wrong, rotated, or for another app)', details);
  }
}

/**
 * A call was given something it cannot take (a capability that is not a name, another app's
 * capability, a `resolve` source without headers or `bearer`): a bug in the caller, said with a
 * typed error and a message naming what was expected, not a `TypeError` from deep inside.
 */
export class InvalidArgumentError extends PylonSDKError {
  override name = 'InvalidArgumentError';
  constructor(message: string) {
    super('invalid_argument', message);
  }
}
