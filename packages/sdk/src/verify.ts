// `@pylon/sdk/verify`: everything an app needs to verify and guard, without the schema code (and
// so without @pylon/core): small enough to bundle into a worker (see test/bundle-size.test.ts).
export type { BearerSource, HeadersLike } from './bearer.js';
export { CLIENT_DEFAULTS, type PylonClient, type PylonClientOptions, pylonClient } from './client.js';
export {
  CapabilityDeniedError,
  InvalidArgumentError,
  KeySetUnavailableError,
  NoSessionError,
  OrgDiscoveryError,
  OrgMismatchError,
  PylonRequestError,
  PylonSDKError,
  SDK_ERROR_CODES,
  type SDKErrorCode,
  TokenInvalidError,
} from './errors.js';
export type { OnEvent, PylonEvent, PylonEventName, PylonEvents, VerifyFailureReason } from './events.js';
export {
  type GuardFailure,
  type HonoContextLike,
  type NodeRequestLike,
  type NodeResponseLike,
  type PylonGuard,
  type PylonGuardOptions,
  pylonGuard,
  type ToolErrorResult,
  type ToolExtraLike,
} from './guard.js';
export { KEY_SET_DEFAULTS } from './key-set.js';
export { MINT_REFRESH_MARGIN_MS } from './mint.js';
export { DISCOVERY_DEFAULTS, type DiscoveredOrg } from './org-discovery.js';
export { REQUEST_TIMEOUT_MS } from './request-timeout.js';
export {
  type BearerChallenge,
  bearerChallenge,
  type ProtectedResourceMetadata,
  type PylonResourceMetadata,
  protectedResourceMetadataURL,
  pylonResourceMetadata,
  type ResourceMetadataOptions,
} from './resource-server.js';
export { MAX_TOKEN_LENGTH } from './token-header.js';
export type { Actor, Clock, FetchLike, JWKSCache } from './types.js';
