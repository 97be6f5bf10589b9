import { join } from 'node:path';
import { type Config, withSecret } from './config/config.js';
import { secureRandom, toHex } from './crypto/random.js';
import { SealError } from './crypto/seal.js';
import type { Logger } from './logger.js';
import { explainPostgresStartupError } from './platform/postgres.js';
import { loadOrCreateDevelopmentSecret } from './platform/secret-file.js';
import type { PylonServer } from './server.js';
import { appliedMigrations, migrateToLatest, openStorage, type Storage } from './storage/database.js';
import { fromNewerPylon, unknownMigrations } from './storage/migrations/index.js';

/**
 * Development without PYLON_SECRET: use (or create once, mode 0600) `<dataDir>/secret`, and warn.
 * Production never gets here: config refuses to load without the secret.
 */
export function resolveSecret(config: Config, logger: Logger): Config {
  if (config.secret !== null) return config;
  const result = loadOrCreateDevelopmentSecret(config.dataDir, () => toHex(secureRandom.bytes(32)));
  if (result.created) {
    logger.warn(
      `PYLON_SECRET is not set: generated a development secret in ${result.path} (mode 0600). Set PYLON_SECRET in production.`,
    );
  }
  return withSecret(config, result.secret);
}

/**
 * `server.prepare()`, telling a database set up under another secret as a StartupError: its
 * signing keys cannot be opened, so every token would fail. In development the secret is a file in
 * PYLON_DATA_DIR, which moves the secret but not the database.
 */
export async function prepareServer(server: Pick<PylonServer, 'prepare'>, config: Config): Promise<void> {
  try {
    await server.prepare();
  } catch (error) {
    if (!(error instanceof SealError)) throw error;
    const where =
      config.env === 'development'
        ? ` (in development it is kept in ${join(config.dataDir, 'secret')}; PYLON_DATA_DIR moves that file, not the database)`
        : '';
    throw new StartupError(
      `PYLON_SECRET does not open the signing keys stored in the database: the database was set up with another secret. ` +
        `Start with the secret it was set up with${where}; see docs/CONFIGURATION.md`,
      { cause: error },
    );
  }
}

/** A start-up failure with a message that says what to do; printed without a stack trace. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/**
 * Open the configured database and apply every pending migration; throws on a failed migration,
 * a StartupError when the cause is one a person fixes outside Pylon (a missing database, one a
 * newer Pylon migrated).
 */
export async function openMigratedStorage(config: Config, logger: Logger): Promise<Storage> {
  const storage = openStorage(config.database);
  try {
    const { error, results } = await migrateToLatest(storage);
    for (const result of results ?? []) {
      if (result.status === 'Success') logger.info(`migration ${result.migrationName} applied`);
      if (result.status === 'Error') logger.error(`migration ${result.migrationName} failed`);
    }
    if (error) throw (await fromNewerPylonError(storage)) ?? error;
    return storage;
  } catch (error) {
    await storage.close();
    const explained =
      config.database.kind === 'postgres' ? explainPostgresStartupError(error, config.database.url) : null;
    throw explained === null ? error : new StartupError(explained, { cause: error });
  }
}

/**
 * When migrating failed because the database records migrations this build lacks (Kysely calls
 * that "corrupted migrations"), the one line `restore` prints for such a backup; else null.
 */
async function fromNewerPylonError(storage: Storage): Promise<StartupError | null> {
  const unknown = unknownMigrations(await appliedMigrations(storage).catch(() => []));
  if (unknown.length === 0) return null;
  return new StartupError(fromNewerPylon('the database', unknown, 'run it with that version'));
}
