import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Config } from '../config/config.js';
import { SealError } from '../crypto/seal.js';
import type { Logger } from '../logger.js';
import { createServer } from '../server.js';
import { migrateToLatest, openStorage } from '../storage/database.js';
import { fromNewerPylon, MIGRATION_NAMES, unknownMigrations } from '../storage/migrations/index.js';

/** A backup or restore refused for a reason the operator can act on; printed without a stack. */
export class BackupError extends Error {
  override readonly name = 'BackupError';
}

/** PostgreSQL has its own tools for this; Pylon names them rather than wrapping them. */
function postgresGuidance(url: string, file: string, verb: 'backup' | 'restore'): string {
  const safe = new URL(url);
  safe.password = '';
  const target = safe.toString();
  return verb === 'backup'
    ? `PYLON_DATABASE_URL is PostgreSQL: back it up with \`pg_dump --format=custom --file=${file} '${target}'\` (safe while Pylon runs; see docs/OPERATIONS.md#backups)`
    : `PYLON_DATABASE_URL is PostgreSQL: restore a pg_dump archive with \`pg_restore --no-owner --dbname='${target}' ${file}\` into an empty database (see docs/OPERATIONS.md#backups); a SQLite backup cannot be restored into PostgreSQL`;
}

/** What a Pylon SQLite file holds: its migrations, checked for integrity. */
function inspect(path: string): { migrations: string[] } {
  let database: BetterSqlite3.Database;
  try {
    database = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new BackupError(`cannot open ${path}: ${(error as Error).message}`);
  }
  try {
    const check = database.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`${path} is damaged (SQLite quick_check: ${String(check)})`);
    const table = database
      .prepare(`select name from sqlite_master where type = 'table' and name = 'pylon_migrations'`)
      .get();
    if (table === undefined) throw new BackupError(`${path} is not a Pylon database (no pylon_migrations)`);
    const rows = database.prepare('select name from pylon_migrations order by name').all() as {
      name: string;
    }[];
    return { migrations: rows.map((row) => row.name) };
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`${path} is not a readable SQLite database: ${(error as Error).message}`);
  } finally {
    database.close();
  }
}

/**
 * `pylon-server backup <file>`: SQLite's online backup API copies the database page by page
 * while the server keeps serving (it restarts a step when a writer changed a page it had copied),
 * so the file is one consistent snapshot. The file holds session and key material (hashed or
 * sealed under PYLON_SECRET): it is written mode 0600 and never over an existing file.
 */
export async function backupDatabase(config: Config, file: string, logger: Logger): Promise<void> {
  if (config.database.kind === 'postgres')
    throw new BackupError(postgresGuidance(config.database.url, file, 'backup'));
  const source = config.database.path;
  if (!existsSync(source)) throw new BackupError(`there is no database at ${source} to back up`);
  // The file is created empty, mode 0600, before a byte is copied (never readable by others, never
  // over an existing file, even one that appears meanwhile), in a directory made if missing.
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new BackupError(`${file} exists: choose a new file (a backup never overwrites one)`);
    throw new BackupError(`cannot create ${file}: ${(error as Error).message}`);
  }
  const database = new BetterSqlite3(source, { fileMustExist: true });
  try {
    database.pragma('busy_timeout = 5000');
    const progress = await database.backup(file);
    logger.info(`backed up ${source} to ${file} (${progress.totalPages} pages)`);
  } catch (error) {
    rmSync(file, { force: true });
    throw new BackupError(`backup of ${source} failed: ${(error as Error).message}`);
  } finally {
    database.close();
  }
  selfContained(file);
  inspect(file);
}

/**
 * The copy inherits the server's WAL mode, in which every open leaves `-wal` and `-shm` files
 * beside it; in rollback-journal mode it is one file to move, archive and restore.
 */
function selfContained(file: string): void {
  const copy = new BetterSqlite3(file, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
}

/**
 * The restored copy's signing keys open with this PYLON_SECRET. Every sealed value (signing keys,
 * TOTP secrets, SSO client secrets) is sealed under the one secret, so the keys stand for all.
 */
async function requireKeysOpen(config: Config, path: string, logger: Logger): Promise<void> {
  const storage = openStorage({ kind: 'sqlite', path, url: `sqlite:${path}` });
  try {
    const { error } = await migrateToLatest(storage);
    if (error) throw new BackupError(`migrating the restored copy failed: ${(error as Error).message}`);
    const server = createServer(config, { storage, logger });
    try {
      await server.services.keys.publicKeys();
    } catch (error) {
      if (error instanceof SealError) {
        throw new BackupError(
          'the backup’s signing keys do not open with this PYLON_SECRET: restore with the secret the backup was made under',
        );
      }
      throw error;
    } finally {
      await server.close();
    }
  } finally {
    await storage.close();
  }
}

/**
 * `pylon-server restore <file>`: a backup into the SQLite database PYLON_DATABASE_URL names, which
 * must not exist yet (stop the server and move the old file aside first). The backup is checked,
 * copied beside the target, migrated to this build's schema and its keys opened with this
 * PYLON_SECRET before it takes the target's name, so a refused restore leaves nothing behind.
 */
export async function restoreDatabase(config: Config, file: string, logger: Logger): Promise<void> {
  if (config.database.kind === 'postgres')
    throw new BackupError(postgresGuidance(config.database.url, file, 'restore'));
  const target = config.database.path;
  for (const path of [target, `${target}-wal`, `${target}-shm`]) {
    if (existsSync(path)) {
      throw new BackupError(
        `${path} exists: stop Pylon and move the current database aside before restoring`,
      );
    }
  }
  const { migrations } = inspect(file);
  const unknown = unknownMigrations(migrations);
  if (unknown.length > 0) {
    throw new BackupError(fromNewerPylon('the backup', unknown, 'restore it with that version'));
  }
  const staging = `${target}.restoring`;
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  rmSync(staging, { force: true });
  const source = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    await source.backup(staging);
  } finally {
    source.close();
  }
  try {
    chmodSync(staging, 0o600);
    await requireKeysOpen(config, staging, logger);
    for (const suffix of ['-wal', '-shm']) rmSync(`${staging}${suffix}`, { force: true });
    renameSync(staging, target);
  } catch (error) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${staging}${suffix}`, { force: true });
    throw error;
  }
  logger.info(
    `restored ${file} into ${target} (${migrations.length} of ${MIGRATION_NAMES.length} migrations in the backup)`,
  );
}
