// The HTTP contract's bodies, one module per area: what the server validates and its OpenAPI
// document describes, and what the CLI and SDK parse answers with. A move of the wire as it is,
// field for field; `*_at` are seconds on `/api/auth/*` and milliseconds on the RBAC surface.
export * from './account.js';
export * from './admin.js';
export * from './api-keys.js';
export * from './audit.js';
export * from './device.js';
export * from './discover.js';
export * from './errors.js';
export * from './identity.js';
export * from './invites.js';
export * from './jwt.js';
export * from './oauth-server.js';
export * from './orgs.js';
export * from './passkeys.js';
export * from './rbac-apps.js';
export * from './rbac-roles.js';
export * from './rbac-schema.js';
export * from './rbac-token.js';
export * from './sessions.js';
export * from './sso.js';
export * from './totp.js';
export * from './trusted-devices.js';
