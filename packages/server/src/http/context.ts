import type { Context } from 'hono';
import type { BackgroundWork } from '../background.js';
import type { Clock } from '../clock.js';
import type { Brand, Config } from '../config/config.js';
import type { Random } from '../crypto/random.js';
import type { Sealer } from '../crypto/seal.js';
import type { Logger } from '../logger.js';
import type { Mailer } from '../mail/mailer.js';
import type { Metrics } from '../metrics/metrics.js';
import type { PasswordHasher } from '../platform/password.js';
import type { Scheduler } from '../scheduler.js';
import type { KeyRing } from '../signing/signing-keys.js';
import type { Storage } from '../storage/database.js';
import type { AuthContext, CallerResolver, Credentials } from './auth-context.js';

export interface OrgSummary {
  id: string;
  name: string;
}

/**
 * The request path's org look-up. Declared here, not in features/orgs, so the HTTP layer depends
 * on no feature; the orgs feature's OrgDirectory (a cache in front of OrgStore) implements it.
 */
export interface OrgLookup {
  find(id: string): Promise<OrgSummary | null>;
  /** Drop a cached answer after the org changed or was deleted. */
  forget(id: string): void;
  /** Create the deployment's default org on first start (idempotent across processes). */
  ensureDefault(id: string, name: string): Promise<void>;
}

/** Everything a feature may use, built once by createServer. No module-level state. */
export interface Services {
  config: Config;
  storage: Storage;
  clock: Clock;
  random: Random;
  logger: Logger;
  mailer: Mailer;
  fetch: typeof fetch;
  sealer: Sealer;
  keys: KeyRing;
  /** Which orgs exist, for routing `/o/{orgId}` and org hosts (the orgs feature's OrgDirectory). */
  orgs: OrgLookup;
  resolvers: CallerResolver[];
  /** Hooks run in order by PylonServer.close(), after background work has settled. */
  onClose: Array<() => Promise<void>>;
  /** Work off the request path; `PylonServer.idle()` and `close()` wait for it. */
  background: BackgroundWork;
  /** Prometheus metrics (`/metrics`): request, sign-in, token and database figures. */
  metrics: Metrics;
  /** Periodic work off the request path (scheduler.ts): timers on Node, the object's alarm on Workers. */
  scheduler: Scheduler;
  /** Argon2id for passwords (platform/password.ts), bounded in concurrency by `serve`. */
  passwordHasher: PasswordHasher;
}

export type Surface = 'auth' | 'rbac';

/** The surface a path belongs to: the identity API under `/api/auth`, everything else RBAC's. */
export function surfaceOf(path: string): Surface {
  return path === '/api/auth' || path.startsWith('/api/auth/') ? 'auth' : 'rbac';
}

export interface AppEnv {
  Variables: {
    requestId: string;
    surface: Surface;
    /** The org whose RBAC surface this request reached (root → the default org). */
    orgId: string;
    /** PYLON_BRAND_*, for the hosted pages. */
    brand: Brand;
    auth?: AuthContext;
    /** The request's credentials as the resolvers read them (get-auth.ts requestCredentials). */
    credentials?: Credentials;
  };
}

export type AppContext = Context<AppEnv>;
