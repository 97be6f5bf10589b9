import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery, SqliteDatabase, SqliteDialect, SqliteStatement } from 'kysely';
import { PylonSqliteDialect, timed, type WalSyncStats } from './sqlite-dialect.js';
import { type WalCheckpointer, walCheckpointer } from './wal-checkpoint.js';
import { groupSync, type WalFile, walFile } from './wal-sync.js';

export type { WalSyncStats } from './sqlite-dialect.js';

const STATEMENT_CACHE_SIZE = 500;

/** Pages of WAL at which the serving connection checkpoints by itself after all (see `openSqlite`). */
export const BACKSTOP_CHECKPOINT_PAGES = 10_000;

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
  /** Raw rows by parameter key, read while the database was unchanged (see `openSqlite`). */
  answers: Map<string, unknown[][]>;
  /** The generation of the database's state `answers` belongs to. */
  generation: number;
}

/** The row builder for a statement's columns as they are now. */
function directStatement(statement: BetterSqlite3.Statement): DirectStatement {
  const columns = statement.columns().map((column) => column.name);
  return { statement, row: rowBuilder(columns), width: columns.length, answers: new Map(), generation: -1 };
}

/**
 * How many answers one direct statement keeps (one per distinct parameter list, e.g. per live
 * session token); past it they are all dropped and the cache fills again. For the session
 * look-up (one row of ~16 short values) that is under 10 MiB.
 */
export const DIRECT_ANSWERS_PER_STATEMENT = 10_000;

/**
 * A statement of this connection that may change data or schema (`readonly` is false: DML, DDL,
 * an `insert … returning` that Kysely runs as a reader), counting each run in `writes` before it
 * runs. The rest are returned as they are, `begin immediate` among them: it takes the write lock,
 * so SQLite calls it a write, but it changes nothing.
 */
function countingWrites(statement: BetterSqlite3.Statement, writes: Writes): SqliteStatement {
  if (statement.readonly || BEGIN.test(statement.source)) return statement;
  return {
    reader: statement.reader,
    all(parameters) {
      writes.count++;
      return statement.all(parameters as unknown[]);
    },
    run(parameters) {
      writes.count++;
      return statement.run(parameters as unknown[]);
    },
    iterate(parameters) {
      writes.count++;
      return statement.iterate(parameters as unknown[]);
    },
  };
}

const BEGIN = /^\s*begin\b/i;

/**
 * How many statements that change data or schema this connection has run: the read cache drops
 * its answers when it moves, and a release of the connection waits for the WAL's fsync.
 */
interface Writes {
  count: number;
}

/**
 * The key of a parameter list, or null when one is not a plain value (a Buffer, say) and the
 * read is not cached. Typed and length-prefixed, so `1`, `1n` and `'1'` (bound as REAL, INTEGER
 * and TEXT), or `['a:b']` and `['a', 'b']`, never share a key.
 */
function parameterKey(parameters: readonly unknown[]): string | null {
  let key = '';
  for (const value of parameters) {
    if (typeof value === 'string') key += `s${value.length}:${value}`;
    else if (typeof value === 'number') key += `n${value};`;
    else if (typeof value === 'bigint') key += `b${value};`;
    else if (value === null) key += 'z;';
    else return null;
  }
  return key;
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
 * open on the connection or when the statement is not a read that cannot write.
 *
 * A direct read is answered from memory when the database has not changed since the same
 * statement ran with the same parameters. Each read first asks whether it has: `PRAGMA
 * data_version` changes when any other connection — another process, a cluster worker, a second
 * connection in this one — has committed a change to the file
 * (https://sqlite.org/pragma.html#pragma_data_version), and this connection counts its own
 * statements that change rows or schema (`countingWrites`), which `data_version`
 * does not report. Either moving drops every kept answer. So a revocation committed anywhere is
 * seen by the very next read on every process, as without the cache, and a read served from
 * memory costs the pragma (~1 µs) instead of the statement (~20 µs for the session look-up, more
 * with cold caches inside a server). What it saves depends on how often anything is written: any
 * write to the file, whatever the table, empties the cache. `readCache` counts hits and misses.
 */
export function openSqlite(
  path: string,
  options: {
    /** How the WAL is made durable; `walFile(path)` unless a test supplies its own. */
    wal?: WalFile;
    /**
     * Who checkpoints the WAL, given what to run when a checkpoint is due and what to do should it
     * fail; `walCheckpointer(path, …)` unless a test supplies its own.
     */
    checkpointer?: (hooks: { due: () => void; onFailure: (error: unknown) => void }) => WalCheckpointer;
  } = {},
): {
  dialect: SqliteDialect;
  read: (query: CompiledQuery, parameters: readonly unknown[]) => unknown[] | undefined;
  readCache: { hits: number; misses: number };
  /** The WAL's fsyncs so far and the seconds they took (none for an in-memory database). */
  walSyncs: WalSyncStats | null;
  /** Who checkpoints the WAL (none for an in-memory database). */
  checkpointer: WalCheckpointer | null;
} {
  if (path !== ':memory:') createPrivately(path);
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  // A commit is on disk (the WAL fsynced) before it is acknowledged, so an acknowledged sign-up,
  // revocation or audit entry survives power loss and an OS crash, not only a killed process:
  // NORMAL here, and the driver waits for the WAL's fsync off the event loop (`WalDurability`).
  // An in-memory database has no WAL and nothing to make durable.
  const memory = path === ':memory:';
  database.pragma('synchronous = NORMAL');
  const wal = memory ? null : (options.wal ?? walFile(path));
  // Checkpoints off the event loop (platform/wal-checkpoint.ts); should the worker fail, SQLite's
  // own come back (1 000 pages, its default), so the WAL stays bounded either way.
  let closed = false;
  let checkpointDue = () => {};
  const hooks = {
    due: () => checkpointDue(),
    onFailure: () => {
      if (!closed) database.pragma('wal_autocheckpoint = 1000');
    },
  };
  const checkpointer = memory
    ? null
    : (options.checkpointer ?? ((given) => walCheckpointer(path, given)))(hooks);
  // Not 0: should checkpoints ever fall behind (other processes writing without a pause, a reader
  // holding an old snapshot), SQLite checkpoints by itself once the WAL reaches ~40 MiB.
  if (checkpointer) database.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  const statements = cacheStatements(database);
  // Only prepared queries read directly, and each is compiled once: the set of texts is fixed.
  const direct = new Map<string, DirectStatement | null>();
  const directFor = (text: string): DirectStatement | null => {
    let entry = direct.get(text);
    if (entry === undefined) {
      const statement = database.prepare(text);
      // A read that cannot write: an `insert … returning` returns rows too, and must run each time.
      entry = statement.reader && statement.readonly ? directStatement(statement.raw(true)) : null;
      direct.set(text, entry);
    }
    return entry;
  };
  const dataVersion = database.prepare('PRAGMA data_version').pluck();
  const writes: Writes = { count: 0 };
  let seenDataVersion = -1;
  let seenWrites = -1;
  let generation = 0;
  /** Move to a new generation (dropping every kept answer) when the database changed. */
  const checkForChanges = () => {
    const version = dataVersion.get() as number;
    if (version !== seenDataVersion || writes.count !== seenWrites) {
      seenDataVersion = version;
      seenWrites = writes.count;
      generation++;
    }
  };
  const readCache = { hits: 0, misses: 0 };
  const walSyncs: WalSyncStats | null = wal && {
    syncs: 0,
    seconds: 0,
    get checkpoints() {
      return checkpointer?.stats.checkpoints ?? 0;
    },
  };
  const grouped = wal && groupSync(timed(wal.sync, walSyncs!));
  return {
    readCache,
    walSyncs,
    checkpointer,
    dialect: new PylonSqliteDialect(
      {
        database: {
          prepare: (text) => countingWrites(statements.prepare(text) as BetterSqlite3.Statement, writes),
          close() {
            closed = true;
            statements.close();
          },
        },
      },
      wal && {
        changes: () => writes.count,
        sync: grouped!.sync,
        settled: grouped!.settled,
        wrote: () => checkpointer?.wrote(),
        onCheckpointDue(run) {
          checkpointDue = run;
        },
        checkpoint: () => checkpointer?.checkpoint() ?? Promise.resolve(),
        async close() {
          await checkpointer?.close();
          await wal.close();
        },
      },
    ),
    read(query, parameters) {
      if (closed || database.inTransaction) return undefined;
      let entry = directFor(query.sql);
      if (entry === null) return undefined;
      checkForChanges();
      if (entry.generation !== generation) {
        entry.answers.clear();
        entry.generation = generation;
      }
      const key = parameterKey(parameters);
      let rows = key === null ? undefined : entry.answers.get(key);
      if (rows === undefined) {
        readCache.misses++;
        rows = entry.statement.all(parameters as unknown[]) as unknown[][];
        if (key !== null) {
          if (entry.answers.size >= DIRECT_ANSWERS_PER_STATEMENT) entry.answers.clear();
          entry.answers.set(key, rows);
        }
      } else {
        readCache.hits++;
      }
      // SQLite re-prepares a statement whose tables changed (a `select *` after a column was
      // added): build the rows for its columns as they are now.
      if (rows.length > 0 && rows[0]!.length !== entry.width) {
        entry = directStatement(entry.statement);
        direct.set(query.sql, entry);
      }
      // Fresh objects every time: a caller may change its rows without changing a kept answer
      // (a blob column's Buffer is the one value shared between answers).
      return rows.map(entry.row);
    },
  };
}

/**
 * A database that does not exist yet is created readable by its owner only (0600, in directories
 * made 0700), whatever the umask: it holds addresses, session hashes and the audit log. SQLite
 * gives its `-wal` and `-shm` files the database file's permissions. An existing file keeps the
 * mode its operator gave it.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
