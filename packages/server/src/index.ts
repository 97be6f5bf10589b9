export {
  type AuditEntry,
  type AuditEvent,
  type AuditPage,
  type AuditQuery,
  appendAudit,
  queryAudit,
} from './audit/audit-log.js';
export { openMigratedStorage, resolveSecret } from './boot.js';
export { type Clock, manualClock, systemClock } from './clock.js';
export { type Config, ConfigError, loadConfig } from './config/config.js';
export type { AuthContext, CallerResolver } from './http/auth-context.js';
export { getAuth } from './http/get-auth.js';
export { createLogger, type Logger } from './logger.js';
export { type Listening, listen } from './platform/listen.js';
export {
  createServer,
  type Feature,
  type FeatureFactory,
  type PylonServer,
  type ServerDeps,
} from './server.js';
export { migrateToLatest, openStorage, type Storage } from './storage/database.js';
