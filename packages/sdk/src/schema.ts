// `@pylon/sdk/schema`: pushing and reading an app's capability schema (uses @pylon/core's checks).
export {
  AppTokenInvalidError,
  InvalidSchemaError,
  NamespaceViolationError,
  NoSessionError,
  PylonRequestError,
  PylonSDKError,
  SchemaPushFailedError,
} from './errors.js';
export {
  type CurrentSchema,
  type PylonSchemaClient,
  type PylonSchemaClientOptions,
  pylonSchemaClient,
  type SchemaPushResult,
} from './schema-client.js';
