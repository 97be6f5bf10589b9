import pino from 'pino';
import { manualClock } from '../../src/clock.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { features as productionFeatures } from '../../src/features/index.js';
import type { Logger } from '../../src/logger.js';
import type { Mailer, MailMessage } from '../../src/mail/mailer.js';
import type { PasswordHasher } from '../../src/platform/password.js';
import { createServer, type Feature, type PylonServer } from '../../src/server.js';
import type { Storage } from '../../src/storage/database.js';
import type { ScratchDatabase, TestDatabase } from './databases.js';

/** As `openssl rand -hex 32` makes them: production refuses an obviously made-up one. */
export const TEST_SECRET = '5e08b3c91fa746d2e8c03b7a914f6d5c2a8e17b0f43d96c5e1a278d04b6f39ce';

export interface TestServer {
  server: PylonServer;
  storage: Storage;
  scratch: ScratchDatabase;
  config: Config;
  clock: ReturnType<typeof manualClock>;
  mail: MailMessage[];
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** An in-memory mailer that records what was sent (tests read codes from it). */
export function recordingMailer(sent: MailMessage[]): Mailer {
  return {
    provider: 'recording',
    async send(message) {
      sent.push(message);
    },
  };
}

/** A migrated, prepared server on a fresh database, with a frozen clock, driven in-process. */
export async function startTestServer(
  database: TestDatabase,
  options: {
    env?: Record<string, string>;
    /** Extra features (test-only routes) added to the production ones. */
    features?: (config: Config) => Feature[];
    mailer?: Mailer;
    logger?: Logger;
    /** The Argon2id hasher identity uses (default: the documented parameters). */
    passwordHasher?: PasswordHasher;
    /**
     * Start on this server's database instead of a fresh one: the deployment restarted with other
     * settings. close() then leaves the database to the server that made it.
     */
    restartOf?: TestServer;
  } = {},
): Promise<TestServer> {
  const scratch = options.restartOf?.scratch ?? (await database.create());
  const config = loadConfig({
    PYLON_SECRET: TEST_SECRET,
    PYLON_DATABASE_URL: scratch.config.url,
    PYLON_LOG_LEVEL: 'silent',
    // In-process requests have no socket, so they all share one "unknown" address; tests of the
    // per-IP limits set their own value.
    PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '1000000',
    PYLON_RATE_LIMIT_GUESTS_PER_IP_MINUTE: '1000000',
    PYLON_RATE_LIMIT_REGISTRATIONS_PER_IP_HOUR: '1000000',
    // Tests never reach the internet: the breached-password tests point PYLON_HIBP_URL at a
    // loopback stand-in and set this back to 0.
    PYLON_DISABLE_HIBP: '1',
    ...options.env,
  });
  const storage = await scratch.openMigrated();
  const clock = manualClock(Date.UTC(2026, 10, 25, 12));
  const mail: MailMessage[] = [];
  const extra = (options.features?.(config) ?? []).map((feature) => () => feature);
  const server = createServer(
    config,
    {
      storage,
      logger: options.logger ?? pino({ level: 'silent' }),
      clock,
      mailer: options.mailer ?? recordingMailer(mail),
      ...(options.passwordHasher ? { passwordHasher: options.passwordHasher } : {}),
    },
    [...productionFeatures(config), ...extra],
  );
  await server.prepare();
  return {
    server,
    storage,
    scratch,
    config,
    clock,
    mail,
    request: (path, init) => Promise.resolve(server.app.request(path, init)),
    async close() {
      await server.close();
      await storage.close();
      if (!options.restartOf) await scratch.drop();
    },
  };
}
