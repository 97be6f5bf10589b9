import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type MigrationLockOptions,
  SqliteAdapter,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type SqliteStatement,
  sql,
} from 'kysely';

/**
 * SQLite runs DDL inside transactions, so migrations can too; and taking the write lock as the
 * transaction's first statement makes concurrent migrators (several processes on one file) wait
 * for each other, as the advisory lock does on PostgreSQL. Kysely's stock adapter does neither,
 * because it assumes a single connection.
 */
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }

  override async acquireMigrationLock(db: Kysely<unknown>, options: MigrationLockOptions): Promise<void> {
    await sql`update ${sql.table(options.lockTable)} set is_locked = 1 where id = ${options.lockRowId}`.execute(
      db,
    );
  }
}

/**
 * Every transaction begins IMMEDIATE: it takes the write lock first, waiting up to the busy
 * timeout. A deferred transaction that reads and then writes while another process (a second
 * worker on the same file) has committed cannot upgrade its WAL snapshot and fails at once with
 * SQLITE_BUSY — the busy timeout does not apply — which turned a correct sign-in code racing
 * other requests into a 500 after the code was already consumed.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class PylonSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalSqliteAdapter();
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings);
  }
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query afresh, and preparing costs more than running a point look-up, so
 * statements are kept by SQL text (the query builder parameterises values, so the set of distinct
 * texts is small and fixed). Bounded, least recently used out. Reuse is safe because Pylon never
 * streams (`iterate`) a statement while running it again.
 */
export function cacheStatements(database: SqliteDatabase, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(text) {
      const cached = statements.get(text);
      if (cached) {
        statements.delete(text);
        statements.set(text, cached);
        return cached;
      }
      const statement = database.prepare(text);
      if (statements.size >= size) statements.delete(statements.keys().next().value!);
      statements.set(text, statement);
      return statement;
    },
  };
}

/**
 * better-sqlite3 with the settings Pylon relies on (WAL, foreign keys, a busy timeout, durable
 * commits), as a Kysely dialect plus a direct reader on its one connection (see `prepareQuery` in
 * storage/prepared-query.ts for why a single-statement read may skip Kysely's driver): it runs a
 * compiled read on the same cached statement Kysely would use and declines, answering
 * `undefined`, while a transaction is open on the connection or when the statement is not a read.
 */
export function openSqlite(path: string): {
  dialect: SqliteDialect;
  read: (query: CompiledQuery, parameters: readonly unknown[]) => unknown[] | undefined;
} {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  // FULL: a commit is on disk (the WAL fsynced) before it is acknowledged, so an acknowledged
  // sign-up, revocation or audit entry survives power loss and an OS crash, not only a killed
  // process (which NORMAL survives too). The price is one fsync per write transaction.
  database.pragma('synchronous = FULL');
  const statements = cacheStatements(database);
  let closed = false;
  return {
    dialect: new PylonSqliteDialect({
      database: {
        prepare: (text) => statements.prepare(text),
        close() {
          closed = true;
          statements.close();
        },
      },
    }),
    read(query, parameters) {
      if (closed || database.inTransaction) return undefined;
      const statement = statements.prepare(query.sql) as BetterSqlite3.Statement;
      if (!statement.reader) return undefined;
      return statement.all(parameters as unknown[]);
    },
  };
}
