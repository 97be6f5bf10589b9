import type { Compilable, CompiledQuery } from 'kysely';
import { type Awaitable, promiseOf } from '../awaitable.js';
import type { DB } from './database.js';
import { createReadBatcher, type ReadBatcher } from './read-batcher.js';

/**
 * Runs one compiled single-statement read synchronously on the storage's own connection, or
 * answers `undefined` when it cannot right now (a transaction is open on that connection), so the
 * caller goes through Kysely instead. Registered per Kysely instance by the storage that owns the
 * connection (storage/database.ts; SQLite only).
 */
export type DirectReader = (query: CompiledQuery, parameters: readonly unknown[]) => unknown[] | undefined;

const directReaders = new WeakMap<object, DirectReader>();

/**
 * Let prepared queries run through `reader` when given exactly this Kysely instance. A
 * transaction (`trx`) is another instance and is never registered, so reads inside one always
 * take Kysely's path on the transaction's connection.
 */
export function allowDirectReads(db: DB, reader: DirectReader): void {
  directReaders.set(db, reader);
}

/** SQL functions whose answer is not a function of the stored data (a kept answer would go stale). */
const MADE_UP_AT_RUN_TIME =
  /\b(current_(date|time|timestamp)|now|random|randomblob|unixepoch|julianday|strftime|datetime|date|time|gen_random_uuid|clock_timestamp)\b\s*(\(|$|\s)/i;

export interface PreparedQuery<Row, Name extends string> {
  /** The compiled query with these values bound. */
  compile(values: Readonly<Record<Name, unknown>>): CompiledQuery<Row>;
  /** Run it on `db` (the storage's instance or a transaction) and return its rows. */
  run(db: DB, values: Readonly<Record<Name, unknown>>): Promise<Row[]>;
  /**
   * `run`, with the rows themselves when they are had without waiting (prepareQuery's direct
   * reader answered; its error is then thrown, not a rejection), a promise of them otherwise: for
   * the hot paths' `Awaitable` steps (awaitable.ts).
   */
  read(db: DB, values: Readonly<Record<Name, unknown>>): Awaitable<Row[]>;
}

/**
 * A read built and compiled once, run many times with fresh values: hot-path reads (the session
 * look-up, the `/token` access read, `/me`'s standing, the capability version) skip rebuilding and
 * recompiling the query on every request. The query is compiled with a placeholder string per
 * named parameter; running it swaps each placeholder for its value, wherever the dialect put it in
 * the parameter list.
 *
 * `run` is for single-statement reads only (a SELECT; writes are `prepareWrite`'s). On a storage
 * that registered a direct reader (SQLite: better-sqlite3 is synchronous, one connection per
 * process) the statement runs at once on the cached prepared statement, skipping Kysely's driver plumbing — connection provider,
 * per-query connection mutex and its promise hops — which costs more than a point look-up itself.
 * That is safe because a read outside a transaction on SQLite is one atomic call that sees the
 * last committed state, exactly what it would see behind the mutex: the mutex only orders work
 * across `await`s, and a synchronous call has none. The one case where it is not safe is a
 * transaction another request holds open on the same connection (its uncommitted writes would be
 * visible, and could roll back after an answer was cached from them), so the reader declines while
 * one is open and the read waits its turn through Kysely. Everywhere else (PostgreSQL, a
 * transaction instance, a reader that declines) it is the plain Kysely `executeQuery`.
 *
 * The SQLite reader may answer from memory while the database is unchanged (`openSqlite` in
 * platform/sqlite.ts), so a prepared read must be a function of the stored data and its
 * parameters alone: no `current_timestamp`, `random()` or other value SQLite makes up at run time
 * (bind the time as a parameter, or compare it in the caller, as the session look-up does).
 */
export function prepareQuery<Row, Name extends string>(
  build: (placeholder: (name: Name) => string) => Compilable<Row>,
): PreparedQuery<Row, Name> {
  const { compiled, bind, compile } = compileNamed(build);
  if (MADE_UP_AT_RUN_TIME.test(compiled.sql))
    throw new Error('a prepared query may not read the clock or random numbers: bind them as values');
  const read = (db: DB, values: Readonly<Record<Name, unknown>>): Awaitable<Row[]> => {
    const reader = directReaders.get(db);
    if (reader !== undefined) {
      const rows = reader(compiled, bind(values));
      if (rows !== undefined) return rows as Row[];
    }
    return db.executeQuery(compile(values)).then((result) => result.rows as Row[]);
  };
  return {
    compile,
    read,
    run: (db, values) => promiseOf(() => read(db, values)),
  };
}

/**
 * A write (insert, update, delete, upsert; `run` resolves to what it `returning`s) built and
 * compiled once, run many times with fresh values, as `prepareQuery` does for reads: the statements every sign-in
 * and audited change makes (rate limits, lockouts, the session, the audit chain) skip Kysely's
 * building and compiling, which costs more than executing them. It always runs through Kysely's
 * executor on the `db` it is given (a transaction, or the storage), never the direct reader, and
 * nothing about it is kept: it may use the database's clock.
 */
export function prepareWrite<Row, Name extends string>(
  build: (placeholder: (name: Name) => string) => Compilable<Row>,
): PreparedQuery<Row, Name> {
  const { compile } = compileNamed(build);
  const run = (db: DB, values: Readonly<Record<Name, unknown>>) =>
    db.executeQuery(compile(values)).then((result) => result.rows as Row[]);
  return { compile, run, read: run };
}

/**
 * `prepareWrite` for code that is handed any database (a module function taking the caller's
 * transaction, not a store built on one storage): `build` gets the database to build with, and the
 * write is prepared the first time it runs on each storage (keyed by the storage's dialect adapter,
 * which its transactions share), so SQLite and PostgreSQL each get their own text.
 */
export function prepareWriteOnAny<Row, Name extends string>(
  build: (db: DB, placeholder: (name: Name) => string) => Compilable<Row>,
): { run(db: DB, values: Readonly<Record<Name, unknown>>): Promise<Row[]> } {
  const perDialect = new WeakMap<object, PreparedQuery<Row, Name>>();
  return {
    run(db, values) {
      const adapter = db.getExecutor().adapter;
      let statement = perDialect.get(adapter);
      if (statement === undefined) {
        statement = prepareWrite<Row, Name>((placeholder) => build(db, placeholder));
        perDialect.set(adapter, statement);
      }
      return statement.run(db, values);
    },
  };
}

/**
 * An insert's values with every column bound to the placeholder of its own name, for a prepared
 * insert of a whole row (`.values(bindEach(COLUMNS, value))`): run it with one value per column.
 */
export function bindEach<Column extends string>(
  columns: readonly Column[],
  placeholder: (name: Column) => string,
  // biome-ignore lint/suspicious/noExplicitAny: placeholders stand for values of every column's type.
): any {
  return Object.fromEntries(columns.map((column) => [column, placeholder(column)]));
}

const PLACEHOLDER = '\u0000pylon:';

/** `build` compiled once with a marker per named value, and how to bind values in the dialect's order. */
function compileNamed<Row, Name extends string>(
  build: (placeholder: (name: Name) => string) => Compilable<Row>,
) {
  const compiled = build((name) => `${PLACEHOLDER}${name}`).compile();
  const slots = compiled.parameters.map((parameter) => {
    const name =
      typeof parameter === 'string' && parameter.startsWith(PLACEHOLDER)
        ? parameter.slice(PLACEHOLDER.length)
        : null;
    if (name === null) throw new Error('a prepared query may bind only named placeholders');
    return name as Name;
  });
  const bind = (values: Readonly<Record<Name, unknown>>) => slots.map((name) => values[name]);
  const compile = (values: Readonly<Record<Name, unknown>>): CompiledQuery<Row> => ({
    ...compiled,
    parameters: bind(values),
  });
  return { compiled, bind, compile };
}

const batchedStorages = new WeakSet<object>();

/**
 * Let batchable queries (`prepareBatchableQuery`) share statements when given exactly this Kysely
 * instance (storage/database.ts; PostgreSQL, where each statement is a round trip). A
 * transaction is another instance and is never registered: reads inside one run alone.
 */
export function allowBatchedReads(db: DB): void {
  batchedStorages.add(db);
}

/** Loads of one batchable query running at once per group, and distinct keys per load. */
export const READ_BATCH = { maxInFlight: 2, maxKeys: 100 };

/**
 * A prepared read of the rows matching one key (`key`, a unique column), which on a storage that
 * allows batching runs for every look-up that arrives together as one statement matching a list
 * of keys (storage/read-batcher.ts says when a look-up joins one, and why its answer is never
 * older than the look-up). Look-ups share a statement only when every other value is the same.
 *
 * `build(placeholder, many)` builds the read: with `many` false it matches `placeholder(key)` as
 * one value, with `many` true as a list (PostgreSQL: `= any(placeholder(key))`); `keyOf` gives the
 * key of a row, so the read must select it. Elsewhere (SQLite, a transaction) it is `prepareQuery`
 * of the single form.
 */
export function prepareBatchableQuery<Row extends object, Name extends string, Key extends Name>(
  key: Key,
  build: (placeholder: (name: Name) => string, many: boolean) => Compilable<Row>,
  keyOf: (row: Row) => unknown,
): PreparedQuery<Row, Name> {
  const single = prepareQuery<Row, Name>((placeholder) => build(placeholder, false));
  let many: PreparedQuery<Row, Name> | null = null;
  // Per database, then per the values besides the key: only those may share a statement.
  const groupsOf = new WeakMap<DB, Map<string, ReadBatcher<unknown, Row>>>();
  const read = (db: DB, values: Readonly<Record<Name, unknown>>): Awaitable<Row[]> => {
    if (!batchedStorages.has(db)) return single.read(db, values);
    let groups = groupsOf.get(db);
    if (groups === undefined) {
      groups = new Map();
      groupsOf.set(db, groups);
    }
    const group = groupKey(values, key);
    let batcher = groups.get(group);
    if (batcher === undefined) {
      many ??= prepareQuery<Row, Name>((placeholder) => build(placeholder, true));
      const listed = many;
      const within = groups;
      batcher = createReadBatcher<unknown, Row>({
        ...READ_BATCH,
        keyOf,
        load: (keys) => listed.run(db, { ...values, [key]: keys }),
        onIdle: () => within.delete(group),
      });
      groups.set(group, batcher);
    }
    return batcher.read(values[key]);
  };
  return {
    compile: single.compile,
    read,
    run: (db, values) => promiseOf(() => read(db, values)),
  };
}

/** The values besides `key`, typed and in name order (`1` and `'1'` never share a group). */
function groupKey(values: Readonly<Record<string, unknown>>, key: string): string {
  return JSON.stringify(
    Object.keys(values)
      .filter((name) => name !== key)
      .sort()
      .map((name) => [name, typeof values[name], String(values[name])]),
  );
}
