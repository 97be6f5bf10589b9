import pg from 'pg';

const INT8_OID = 20;

/**
 * How long a statement may run before its connection is given up (`boundStatements`), in
 * milliseconds; 0 while nothing bounds it (migrations, `migrateToLatest`). One per pool, read when
 * each statement starts.
 */
export interface StatementTimeout {
  ms: number;
}

/**
 * A pool of at most `maxConnections` pg connections (`PYLON_DATABASE_POOL_SIZE`), each preparing
 * its statements once (`prepareStatements`). A statement that cannot get a connection within
 * `connectTimeoutMs` (`PYLON_DATABASE_CONNECT_TIMEOUT_MS`: the server unreachable, or every
 * connection busy) fails, and its request answers 503 (http/errors.ts), instead of waiting for
 * the operating system's TCP timeout, minutes, while requests pile up behind it; so does one that
 * got its connection but has no answer within `statementTimeout` (`boundStatements`). Connections
 * use TCP keep-alive, so one whose server vanished is found dead. int8 (our millisecond timestamps
 * and serial ids) is parsed to a number per pool, not through pg's global type registry, so no
 * module-level state changes.
 */
export function createPostgresPool(
  url: string,
  {
    maxConnections,
    connectTimeoutMs,
    statementTimeout = { ms: 0 },
  }: { maxConnections: number; connectTimeoutMs: number; statementTimeout?: StatementTimeout },
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client can be cut off by the server (restart, failover, admin command). pg emits that
  // on the pool; unhandled it would crash the process, and the pool already replaces the client.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    // A client checked out when its connection drops (a statement in flight, a transaction between
    // statements) emits 'error' on itself, which the pool hears only while the client is idle:
    // unheard, it would crash the process. Its statements fail with the error (a 503), and the
    // pool drops it when it is released (it is no longer queryable).
    client.on('error', () => {});
    prepareStatements(client);
    boundStatements(client, statementTimeout);
  });
  return pool;
}

/**
 * Every statement on `client` that has no answer within `timeout.ms` (when it is above 0) fails
 * with `ETIMEDOUT`, which `isDatabaseUnavailable` counts as the database's (a 503), and the
 * connection is closed: its state is unknown (the answer may still come, or never — a network
 * that drops packets instead of refusing them leaves a socket open for the kernel's TCP timeouts,
 * hours with keep-alive's defaults), so the pool replaces it instead of queueing the next
 * statement behind the lost one; later statements on it fail with the same error. Statements run
 * with a callback or as a cursor run as pg runs them.
 */
export function boundStatements(client: pg.PoolClient, timeout: StatementTimeout): void {
  const original = client.query.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult>;
  // Once given up, every later statement on the client (a transaction's rollback) fails as the lost
  // one did, rather than with pg's "Client was closed", so the error logged names the cause.
  let lost: Error | null = null;
  client.query = ((...args: unknown[]) => {
    if (lost !== null) return Promise.reject(lost);
    const ms = timeout.ms;
    const first = args[0] as { submit?: unknown } | undefined;
    if (ms <= 0 || typeof args[args.length - 1] === 'function' || typeof first?.submit === 'function') {
      return original(...args);
    }
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // A pooled client is a pg.Client; with a statement in flight its end() destroys the
        // socket rather than waiting on it, and the pool drops a client that has ended.
        (client as unknown as pg.Client).end().catch(() => {});
        lost = statementTimedOut(ms);
        reject(lost);
      }, ms);
    });
    return Promise.race([original(...args), expired]).finally(() => clearTimeout(timer));
  }) as typeof client.query;
}

function statementTimedOut(ms: number): Error {
  return Object.assign(
    new Error(
      `PostgreSQL did not answer a statement within ${ms} ms (PYLON_DATABASE_STATEMENT_TIMEOUT_MS); its connection was closed`,
    ),
    { code: 'ETIMEDOUT' },
  );
}

/** Named statements one connection keeps at most; past it, statements run unnamed. */
export const PREPARED_STATEMENTS_PER_CONNECTION = 200;

/** SQLSTATE 0A000 with this message: a DDL changed the columns a kept statement returns. */
const CHANGED_RESULT = 'cached plan must not change result type';

/**
 * Every parameterised statement runs as a named (server-side prepared) statement on its
 * connection, so PostgreSQL parses and plans it once per connection instead of on every request:
 * the query builder parameterises values, so the distinct texts are few and fixed. Measured on
 * the session look-up, the server's CPU per statement fell about fourfold (docs/PERFORMANCE.md).
 * At most `limit` texts are named per connection (a variable-length `in (…)` list yields a text
 * per length). A statement whose result columns a migration changed fails once with SQLSTATE
 * 0A000; its text then gets a new name, so the next run prepares it afresh.
 */
export function prepareStatements(client: pg.PoolClient, limit = PREPARED_STATEMENTS_PER_CONNECTION): void {
  const original = client.query.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult>;
  const names = new Map<string, string>();
  let next = 0;
  client.query = ((text: unknown, values?: unknown, ...rest: unknown[]) => {
    // Unparameterised text, a config object, a cursor or a callback: as pg would run it.
    if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0 || rest.length > 0) {
      return original(text, values, ...rest);
    }
    let name = names.get(text);
    if (name === undefined && names.size < limit) {
      name = `pylon_${next++}`;
      names.set(text, name);
    }
    if (name === undefined) return original(text, values);
    return original({ name, text, values }).catch((error: unknown) => {
      const { code, message } = error as { code?: string; message?: string };
      if (code === '0A000' && String(message).includes(CHANGED_RESULT)) names.delete(text);
      throw error;
    });
  }) as typeof client.query;
}

/**
 * A start-up failure a person can act on, from pg's error: the database missing (SQLSTATE 3D000,
 * invalid_catalog_name) or the server unreachable. Null for anything else. Never includes the
 * password from the URL.
 */
export function explainPostgresStartupError(error: unknown, url: string): string | null {
  const parsed = new URL(url);
  const host = parsed.hostname || 'localhost';
  const port = parsed.port || '5432';
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username);
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === '3D000') {
    const user = parsed.username ? ` -U ${decodeURIComponent(parsed.username)}` : '';
    const portFlag = port === '5432' ? '' : ` -p ${port}`;
    return `database "${name}" does not exist: create it with \`createdb -h ${host}${portFlag}${user} ${name}\``;
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `cannot reach PostgreSQL at ${host}:${port} (${String(code)}): is it running, and is PYLON_DATABASE_URL right?`;
  }
  return null;
}
