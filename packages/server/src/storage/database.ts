import { Kysely, type LogEvent, type MigrationResultSet, Migrator, PostgresDialect, sql } from 'kysely';
import type { DatabaseConfig } from '../config/config.js';
import { createPostgresPool } from '../platform/postgres.js';
import { createSqliteDialect } from '../platform/sqlite.js';
import { CodeMigrationProvider, type Dialect } from './migrations/index.js';
import type { Database } from './schema.js';

export type DB = Kysely<Database>;

/** An open database: the query builder plus what the rest of Pylon needs to know about it. */
export interface Storage {
  readonly db: DB;
  readonly dialect: Dialect;
  /** Human description without credentials, for start-up logs. */
  readonly description: string;
  ping(): Promise<boolean>;
  close(): Promise<void>;
  /** Receive every query's duration and outcome (metrics); one listener, the last one set. */
  observeQueries(listener: (event: LogEvent) => void): void;
  /** The connection pool's state (PostgreSQL); null on SQLite, which has one connection. */
  poolStats(): { total: number; idle: number; waiting: number } | null;
}

function describe(config: DatabaseConfig): string {
  if (config.kind === 'sqlite') return `SQLite at ${config.path}`;
  const url = new URL(config.url);
  return `PostgreSQL at ${url.hostname}:${url.port || '5432'}${url.pathname}`;
}

export function openStorage(config: DatabaseConfig): Storage {
  const pool = config.kind === 'postgres' ? createPostgresPool(config.url) : null;
  const dialect =
    config.kind === 'sqlite' ? createSqliteDialect(config.path) : new PostgresDialect({ pool: pool! });
  let listener: ((event: LogEvent) => void) | null = null;
  const db = new Kysely<Database>({ dialect, log: (event) => listener?.(event) });
  let closed = false;
  return {
    db,
    dialect: config.kind,
    description: describe(config),
    async ping() {
      if (closed) return false;
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    observeQueries(next) {
      listener = next;
    },
    poolStats: () =>
      pool === null ? null : { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/**
 * Apply every pending migration. On PostgreSQL Kysely's migrator holds an advisory lock for the
 * whole run, so several processes starting together apply each migration exactly once.
 */
export async function migrateToLatest(storage: Storage): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db: storage.db,
    provider: new CodeMigrationProvider({ dialect: storage.dialect }),
    migrationTableName: 'pylon_migrations',
    migrationLockTableName: 'pylon_migrations_lock',
  });
  return migrator.migrateToLatest();
}
