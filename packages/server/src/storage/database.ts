import {
  type Driver,
  Kysely,
  type LogEvent,
  type MigrationResultSet,
  Migrator,
  PostgresDialect,
  sql,
} from 'kysely';
import type { DatabaseConfig } from '../config/config.js';
import {
  DATABASE_CONNECT_TIMEOUT_MS,
  DATABASE_POOL_SIZE,
  DATABASE_STATEMENT_TIMEOUT_MS,
} from '../config/parse-database.js';
import { createPostgresPool, type StatementTimeout } from '../platform/postgres.js';
import { openSqlite, type WalSyncStats } from '../platform/sqlite.js';
import { markDatabaseErrors } from './errors.js';
import { CodeMigrationProvider, type Dialect } from './migrations/index.js';
import { allowBatchedReads, allowDirectReads, type DirectReader } from './prepared-query.js';
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
  /**
   * How many direct reads were answered from memory (`hits`) or ran their statement (`misses`)
   * since the storage opened (SQLite, see `openSqlite`); null where reads are never kept.
   */
  readCacheStats(): { hits: number; misses: number } | null;
  /**
   * How many fsyncs of the WAL acknowledged writes have waited for, and the seconds they took in
   * all, since the storage opened (SQLite on a file, see `WalDurability` in platform/sqlite.ts);
   * null where the database makes commits durable itself (PostgreSQL).
   */
  walSyncStats(): WalSyncStats | null;
}

/** PostgreSQL whose driver marks its errors as the database's (`isDatabaseUnavailable`). */
class MarkedPostgresDialect extends PostgresDialect {
  override createDriver(): Driver {
    return markDatabaseErrors(super.createDriver());
  }
}

function describe(config: DatabaseConfig): string {
  if (config.kind === 'sqlite') return `SQLite at ${config.path}`;
  const url = new URL(config.url);
  return `PostgreSQL at ${url.hostname}:${url.port || '5432'}${url.pathname}`;
}

export function openStorage(config: DatabaseConfig): Storage {
  const statementTimeout: StatementTimeout = {
    ms:
      config.kind === 'postgres' ? (config.statementTimeoutMs ?? DATABASE_STATEMENT_TIMEOUT_MS.fallback) : 0,
  };
  const pool =
    config.kind === 'postgres'
      ? createPostgresPool(config.url, {
          maxConnections: config.poolSize ?? DATABASE_POOL_SIZE.fallback,
          connectTimeoutMs: config.connectTimeoutMs ?? DATABASE_CONNECT_TIMEOUT_MS.fallback,
          statementTimeout,
        })
      : null;
  const sqlite = config.kind === 'sqlite' ? openSqlite(config.path) : null;
  const dialect = sqlite?.dialect ?? new MarkedPostgresDialect({ pool: pool! });
  let listener: ((event: LogEvent) => void) | null = null;
  const db = new Kysely<Database>({ dialect, log: (event) => listener?.(event) });
  if (sqlite !== null)
    allowDirectReads(
      db,
      directReader(sqlite.read, () => listener),
    );
  // Each PostgreSQL statement is a round trip: look-ups that arrive together share one.
  if (pool !== null) allowBatchedReads(db);
  let closed = false;
  const storage: Storage = {
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
    readCacheStats: () => (sqlite === null ? null : { ...sqlite.readCache }),
    walSyncStats: () => (sqlite?.walSyncs ? { ...sqlite.walSyncs } : null),
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
  statementTimeouts.set(storage, statementTimeout);
  return storage;
}

/** Each open PostgreSQL storage's statement timeout, which `migrateToLatest` lifts while it runs. */
const statementTimeouts = new WeakMap<Storage, StatementTimeout>();

/**
 * SQLite's direct reads (storage/prepared-query.ts) bypass Kysely, and with it Kysely's `log`
 * hook: time them here so the query metrics still count every statement.
 */
function directReader(read: DirectReader, listener: () => ((event: LogEvent) => void) | null): DirectReader {
  return (query, parameters) => {
    const observe = listener();
    if (observe === null) return read(query, parameters);
    const started = performance.now();
    let rows: unknown[] | undefined;
    try {
      rows = read(query, parameters);
    } catch (error) {
      observe({ level: 'error', error, query, queryDurationMillis: performance.now() - started });
      throw error;
    }
    if (rows !== undefined) {
      observe({ level: 'query', query, queryDurationMillis: performance.now() - started });
    }
    return rows;
  };
}

/**
 * Apply every pending migration. On PostgreSQL Kysely's migrator holds an advisory lock for the
 * whole run, so several processes starting together apply each migration exactly once; while it
 * runs, no statement of `storage` is bounded by `PYLON_DATABASE_STATEMENT_TIMEOUT_MS` (a
 * migration may rewrite or index a large table, and another process may hold the lock for as
 * long) — it runs at start-up, before any request is served.
 */
export async function migrateToLatest(storage: Storage): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db: storage.db,
    provider: new CodeMigrationProvider({ dialect: storage.dialect }),
    migrationTableName: 'pylon_migrations',
    migrationLockTableName: 'pylon_migrations_lock',
  });
  const timeout = statementTimeouts.get(storage);
  const bound = timeout?.ms ?? 0;
  if (timeout) timeout.ms = 0;
  try {
    return await migrator.migrateToLatest();
  } finally {
    if (timeout) timeout.ms = bound;
  }
}

/** The names of the migrations recorded as applied; throws where no migration ever ran (no table). */
export async function appliedMigrations(storage: Storage): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from pylon_migrations order by name`.execute(
    storage.db,
  );
  return rows.map((row) => row.name);
}
