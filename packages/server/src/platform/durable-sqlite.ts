/**
 * Pylon's database on Cloudflare Workers: the SQLite database inside one Durable Object
 * (`ctx.storage.sql`), behind a Kysely dialect, so the same queries and migrations run as on
 * better-sqlite3. Kept in `platform/`: the Node server never loads it.
 *
 * Statements run synchronously in the object. Transactions are interactive (read, decide,
 * write): they run inside `ctx.storage.transaction(async …)`, which rolls back every write made
 * inside it when its closure throws. Durable Object SQLite refuses a plain `BEGIN`, so a
 * Kysely transaction opens that closure on begin and settles it on commit or rollback. One
 * mutex serialises transactions and queries (as Kysely's SqliteDriver does for better-sqlite3), so
 * a transaction's statements never interleave with another request's.
 *
 * While `storage.transaction()` runs, the object holds back other events (it is a
 * `blockConcurrencyWhile`), timers included: a transaction must not await a timer, or one that
 * another request set and that falls due first would wait for the transaction, which waits for its
 * own timer behind it (test/workers/durable-sqlite.test.ts shows both sides). Pylon's transactions
 * await only queries and runtime work such as WebCrypto.
 */
import { Buffer } from 'node:buffer';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  Kysely,
  type LogEvent,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteQueryCompiler,
  sql,
} from 'kysely';
import type { Storage } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import { DurableSqliteIntrospector } from './durable-sqlite-introspector.js';

/** The parts of a Durable Object's `ctx.storage` this dialect uses (SQLite-backed objects). */
export interface DurableSqlStorage {
  sql: {
    exec(query: string, ...bindings: unknown[]): { toArray(): Record<string, unknown>[] };
  };
  transaction<T>(closure: () => Promise<T>): Promise<T>;
}

/** Thrown inside the storage transaction's closure to make it roll back; never escapes. */
const ROLLBACK = Symbol('rollback');

/** Kysely's own SqliteDriver mutex: one holder at a time, in arrival order. */
class ConnectionMutex {
  private held: Promise<void> | undefined;
  private release: (() => void) | undefined;

  async lock(): Promise<void> {
    while (this.held) await this.held;
    this.held = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  unlock(): void {
    const release = this.release;
    this.held = undefined;
    this.release = undefined;
    release?.();
  }
}

/** A driver error with the code `isUniqueViolation` (storage/errors.ts) recognises on SQLite. */
function withSqliteCode(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (/UNIQUE constraint failed/i.test(error.message)) {
    Object.assign(error, { code: 'SQLITE_CONSTRAINT_UNIQUE' });
  } else if (/FOREIGN KEY constraint failed/i.test(error.message)) {
    Object.assign(error, { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
  }
  return error;
}

/** Durable Object SQLite binds strings, numbers, null and ArrayBuffers; Pylon passes a few more. */
function toBinding(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.getTime();
  return value;
}

/** Blobs come back as ArrayBuffers; the rest of Pylon reads them as Buffers (as from better-sqlite3). */
function fromColumn(value: unknown): unknown {
  return value instanceof ArrayBuffer ? Buffer.from(value) : value;
}

const WRITES = /^\s*(insert|update|delete|replace)\b/i;

class DurableConnection implements DatabaseConnection {
  private open: { finish(commit: boolean): void; done: Promise<unknown> } | null = null;

  constructor(private readonly storage: DurableSqlStorage) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      const cursor = this.storage.sql.exec(query.sql, ...query.parameters.map(toBinding));
      const rows = cursor.toArray().map((row) => {
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(row)) out[key] = fromColumn(row[key]);
        return out;
      });
      if (!WRITES.test(query.sql)) return { rows: rows as R[] };
      // changes() and last_insert_rowid() are this connection's, and nothing else runs in between.
      const facts =
        this.storage.sql.exec('select changes() as n, last_insert_rowid() as id').toArray()[0] ?? {};
      return {
        rows: rows as R[],
        numAffectedRows: BigInt(Number(facts.n ?? 0)),
        insertId: BigInt(Number(facts.id ?? 0)),
      };
    } catch (error) {
      throw withSqliteCode(error);
    }
  }

  // biome-ignore lint/correctness/useYield: Pylon never streams a query; refused like better-sqlite3's streaming would need a cursor.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on Durable Object SQLite');
  }

  async begin(): Promise<void> {
    if (this.open) throw new Error('a transaction is already open on this connection');
    let finish!: (commit: boolean) => void;
    const decided = new Promise<boolean>((resolve) => {
      finish = resolve;
    });
    let started!: () => void;
    const began = new Promise<void>((resolve) => {
      started = resolve;
    });
    const done = this.storage.transaction(async () => {
      started();
      if (!(await decided)) throw ROLLBACK;
    });
    // A failed start surfaces through `began` never resolving otherwise: race it with `done`.
    this.open = { finish, done };
    await Promise.race([began, done]);
  }

  async end(commit: boolean): Promise<void> {
    const open = this.open;
    if (!open) throw new Error('no transaction is open on this connection');
    this.open = null;
    open.finish(commit);
    try {
      await open.done;
    } catch (error) {
      if (error !== ROLLBACK) throw withSqliteCode(error);
    }
  }
}

class DurableSqliteDriver implements Driver {
  private readonly mutex = new ConnectionMutex();
  private readonly connection: DurableConnection;

  constructor(storage: DurableSqlStorage) {
    this.connection = new DurableConnection(storage);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.mutex.lock();
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as DurableConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as DurableConnection).end(true);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as DurableConnection).end(false);
  }

  async releaseConnection(): Promise<void> {
    this.mutex.unlock();
  }

  async destroy(): Promise<void> {}
}

/**
 * Migrations run in a transaction (SQLite runs DDL transactionally); the migration lock is a no-op
 * because one Durable Object is one thread and the connection mutex already holds the run.
 */
class DurableSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }

  override async acquireMigrationLock(): Promise<void> {}

  override async releaseMigrationLock(): Promise<void> {}
}

export class DurableSqliteDialect implements Dialect {
  constructor(private readonly storage: DurableSqlStorage) {}

  createDriver(): Driver {
    return new DurableSqliteDriver(this.storage);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new DurableSqliteAdapter();
  }

  /** Kysely's, minus the runtime's own `_cf_*` tables, which the object may not read. */
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new DurableSqliteIntrospector(db);
  }
}

/** The Durable Object's database as Pylon's `Storage` (the SQLite dialect of every query). */
export function openDurableStorage(storage: DurableSqlStorage): Storage {
  let listener: ((event: LogEvent) => void) | null = null;
  const db = new Kysely<Database>({
    dialect: new DurableSqliteDialect(storage),
    log: (event) => listener?.(event),
  });
  return {
    db,
    dialect: 'sqlite',
    description: 'SQLite in a Cloudflare Durable Object',
    async ping() {
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
    poolStats: () => null,
    readCacheStats: () => null,
    walSyncStats: () => null,
    async close() {},
  };
}
