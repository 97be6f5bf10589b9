export { isPlainDisplayName, PLAIN_DISPLAY_NAME_MESSAGE } from './display-text.js';
export { hashEmail, isValidEmail, normalizeEmail } from './email.js';
export {
  AUTH_ERROR_CODES,
  AUTH_ERRORS,
  type AuthErrorCode,
  type ErrorCode,
  type ErrorSpec,
  errorSpec,
  PylonError,
  type PylonErrorOptions,
  RBAC_ERROR_CODES,
  RBAC_ERRORS,
  type RbacErrorCode,
  toAuthCode,
  toRbacCode,
} from './errors.js';
export {
  capsClaimBytes,
  checkTimeClaims,
  decodeProtectedHeader,
  hasDuplicateMemberNames,
  MAX_CAPS_CLAIM_BYTES,
  MAX_TOKEN_LENGTH,
  type TimeClaimOptions,
  type TimeClaimProblem,
} from './jwt-checks.js';
export * from './policy/index.js';
export { canonicalJSON } from './schema/canonical-json.js';
export {
  diffSchemas,
  isDestructiveChange,
  type SchemaChange,
  type SchemaChangeType,
  type SchemaDiff,
} from './schema/diff.js';
export { type ExpandedArchetypes, expandAllArchetypes, expandArchetype } from './schema/expand.js';
export { stripNamespace } from './schema/namespace.js';
export { parseSchemaSource } from './schema/parse-source.js';
export {
  buildPreparedBody,
  hashSchemaContent,
  type PrepareOptions,
  prepareSchema,
} from './schema/prepare.js';
export { SCHEMA_ERROR_CODES, SchemaError, type SchemaErrorCode } from './schema/schema-error.js';
export type {
  BareSchema,
  PreparedMarker,
  PreparedSchema,
  SchemaArchetype,
  SchemaArchetypeView,
  SchemaCapability,
  SchemaGraph,
} from './schema/types.js';
export { BARE_NAME_PATTERN, validateSchema } from './schema/validate.js';
export { type VerifyOptions, verifyPreparedSchema } from './schema/verify.js';
export { sha256Base64URL, sha256Hex } from './sha256.js';
export { isSlug, SLUG_BODY, SLUG_HTML_PATTERN, SLUG_PATTERN } from './slug.js';
export * from './wire/index.js';
