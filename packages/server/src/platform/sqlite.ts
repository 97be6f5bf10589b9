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

/** A read statement of the direct reader: rows come back as arrays and become objects here. */
interface DirectStatement {
  statement: BetterSqlite3.Statement;
  row: (values: unknown[]) => Record<string, unknown>;
  /** How many columns `row` was built for. */
  width: number;
}

/** The row builder for a statement's columns as they are now. */
function directStatement(statement: BetterSqlite3.Statement): DirectStatement {
  const columns = statement.columns().map((column) => column.name);
  return { statement, row: rowBuilder(columns), width: columns.length };
}

/**
 * A function building a row object from a raw row, compiled once per statement as one object
 * literal: every row then shares one shape, made in one allocation. better-sqlite3's own row
 * objects are built property by property through V8's C++ API (a map transition and a column-name
 * look-up each), which under load cost more than the statement's own step. Column names come
 * from Pylon's own compiled SQL, never from a request, and are written as JSON string literals.
 * A repeated name keeps its last column, as better-sqlite3's row objects do.
 */
export function rowBuilder(columns: readonly string[]): (values: unknown[]) => Record<string, unknown> {
  // A computed key defines an own property even for `__proto__`, which a plain one would not.
  const fields = columns.map((name, index) =>
    name === '__proto__' ? `["__proto__"]: values[${index}]` : `${JSON.stringify(name)}: values[${index}]`,
  );
  return new Function('values', `return { ${fields.join(', ')} };`) as (
    values: unknown[],
  ) => Record<string, unknown>;
}

/**
 * better-sqlite3 with the settings Pylon relies on (WAL, foreign keys, a busy timeout, durable
 * commits), as a Kysely dialect plus a direct reader on its one connection (see `prepareQuery` in
 * storage/prepared-query.ts for why a single-statement read may skip Kysely's driver): it runs a
 * compiled read on a statement of its own, prepared once per SQL text in raw mode (rows as arrays,
 * made into objects by `rowBuilder`), and declines, answering `undefined`, while a transaction is
 * open on the connection or when the statement is not a read.
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
  // Only prepared queries read directly, and each is compiled once: the set of texts is fixed.
  const direct = new Map<string, DirectStatement | null>();
  const directFor = (text: string): DirectStatement | null => {
    let entry = direct.get(text);
    if (entry === undefined) {
      const statement = database.prepare(text);
      entry = statement.reader ? directStatement(statement.raw(true)) : null;
      direct.set(text, entry);
    }
    return entry;
  };
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
      let entry = directFor(query.sql);
      if (entry === null) return undefined;
      const rows = entry.statement.all(parameters as unknown[]) as unknown[][];
      // SQLite re-prepares a statement whose tables changed (a `select *` after a column was
      // added): build the rows for its columns as they are now.
      if (rows.length > 0 && rows[0]!.length !== entry.width) {
        entry = directStatement(entry.statement);
        direct.set(query.sql, entry);
      }
      return rows.map(entry.row);
    },
  };
}
