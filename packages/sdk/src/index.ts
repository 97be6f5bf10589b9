// `@pylon/sdk`: verify, guard, mint and push. `@pylon/sdk/verify` and `@pylon/sdk/schema` are the
// two halves for apps that want only one.
export type { BearerSource, HeadersLike } from './bearer.js';
export { CLIENT_DEFAULTS, type PylonClient, type PylonClientOptions, pylonClient } from './client.js';
export {
  AppTokenInvalidError,
  CapabilityDeniedError,
  InvalidArgumentError,
  InvalidSchemaError,
  KeySetUnavailableError,
  NamespaceViolationError,
  NoSessionError,
  OrgDiscoveryError,
  OrgMismatchError,
  PylonRequestError,
  PylonSDKError,
  SchemaPushFailedError,
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
export {
  type EntityAction,
  type PolicyAuthContext,
  type PolicyCheckInput,
  type PolicyDefinition,
  type PolicyProblem,
  type PylonPolicies,
  pylonPolicies,
} from './policies.js';
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
export {
  type CurrentSchema,
  type PylonSchemaClient,
  type PylonSchemaClientOptions,
  pylonSchemaClient,
  type SchemaPushResult,
} from './schema-client.js';
export { MAX_TOKEN_LENGTH } from './token-header.js';
export type { Actor, Clock, FetchLike, JWKSCache } from './types.js';
