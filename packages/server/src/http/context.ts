import type { Context } from 'hono';
import type { BackgroundWork } from '../background.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { Random } from '../crypto/random.js';
import type { Sealer } from '../crypto/seal.js';
import type { OrgDirectory } from '../features/orgs/org-directory.js';
import type { KeyRing } from '../keys/signing-keys.js';
import type { Logger } from '../logger.js';
import type { Mailer } from '../mailer.js';
import type { Storage } from '../storage/database.js';
import type { AuthContext, CallerResolver } from './auth-context.js';

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
  orgs: OrgDirectory;
  resolvers: CallerResolver[];
  /** Hooks run in order by PylonServer.close(), after background work has settled. */
  onClose: Array<() => Promise<void>>;
  /** Work off the request path; `PylonServer.idle()` and `close()` wait for it. */
  background: BackgroundWork;
}

export type Surface = 'auth' | 'rbac';

export interface AppEnv {
  Variables: {
    requestId: string;
    surface: Surface;
    /** The org whose RBAC surface this request reached (root → the default org). */
    orgId: string;
    auth?: AuthContext;
  };
}

export type AppContext = Context<AppEnv>;
