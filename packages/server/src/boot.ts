import { type Config, withSecret } from './config/config.js';
import { secureRandom, toHex } from './crypto/random.js';
import type { Logger } from './logger.js';
import { explainPostgresStartupError } from './platform/postgres.js';
import { loadOrCreateDevelopmentSecret } from './platform/secret-file.js';
import { migrateToLatest, openStorage, type Storage } from './storage/database.js';

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

/** A start-up failure with a message that says what to do; printed without a stack trace. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/**
 * Open the configured database and apply every pending migration; throws on a failed migration,
 * a StartupError when the cause is one a person fixes outside Pylon (a missing database).
 */
export async function openMigratedStorage(config: Config, logger: Logger): Promise<Storage> {
  const storage = openStorage(config.database);
  try {
    const { error, results } = await migrateToLatest(storage);
    for (const result of results ?? []) {
      if (result.status === 'Success') logger.info(`migration ${result.migrationName} applied`);
      if (result.status === 'Error') logger.error(`migration ${result.migrationName} failed`);
    }
    if (error) throw error;
    return storage;
  } catch (error) {
    await storage.close();
    const explained =
      config.database.kind === 'postgres' ? explainPostgresStartupError(error, config.database.url) : null;
    throw explained === null ? error : new StartupError(explained, { cause: error });
  }
}
