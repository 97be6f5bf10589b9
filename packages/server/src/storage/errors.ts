import type { DatabaseConnection, Driver } from 'kysely';

/**
 * Whether a driver error is a unique-constraint violation, on either dialect: PostgreSQL's
 * SQLSTATE 23505, or better-sqlite3's extended result code.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = (error as { code: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Socket errors of a connection to the database server that could not be made or was lost. */
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * PostgreSQL SQLSTATEs that say the server cannot serve now, not that the statement was wrong
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html): too_many_connections, and
 * admin_shutdown, crash_shutdown and cannot_connect_now; class 08 (connection exceptions) is
 * matched as a class.
 */
const UNAVAILABLE_SQLSTATES = new Set(['53300', '57P01', '57P02', '57P03']);

/** node-postgres's own errors for a connection it could not get or lost, which carry no code. */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
];

/** Errors a driver wrapped by `markDatabaseErrors` threw: they came from the database. */
const FROM_DATABASE = new WeakSet<object>();

/**
 * Of those, the errors of getting a connection at all (opening the driver, taking one from the
 * pool): whatever the server answered — a database not accepting connections (55000), dropped
 * (3D000), a password rotated (28P01), no such role (28000) — no statement was run, so nothing in
 * the request was at fault and the same request may succeed once the database is back.
 */
const FROM_CONNECTING = new WeakSet<object>();

/**
 * Whether an error means the database cannot be reached or cannot take the request now, so the
 * request may succeed if tried again shortly — as opposed to a fault in the request or in Pylon:
 * PostgreSQL refusing, dropping or timing out a connection (including waiting longer than
 * `PYLON_DATABASE_CONNECT_TIMEOUT_MS` for one from a full pool, or longer than
 * `PYLON_DATABASE_STATEMENT_TIMEOUT_MS` for a statement's answer), shutting down or out of
 * connections; SQLite still locked by another process when its busy timeout ran out
 * (`SQLITE_BUSY`, extended codes included). A socket error or a node-postgres message counts only
 * when the database driver threw it (`markDatabaseErrors`): an SMTP server or an identity
 * provider refusing a connection fails with the same `ECONNREFUSED`, and is not the database.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'))) return true;
  if (!FROM_DATABASE.has(error)) return false;
  if (FROM_CONNECTING.has(error)) return true;
  if (typeof code === 'string') {
    if (CONNECTION_ERRNOS.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  return typeof message === 'string' && PG_CONNECTION_MESSAGES.some((text) => message.startsWith(text));
}

/**
 * `driver` with every error it throws — getting a connection, a statement, a transaction's
 * begin, commit or rollback — marked as the database's, for `isDatabaseUnavailable`. The
 * connections it hands out wrap the driver's own, which its other methods get back.
 */
export function markDatabaseErrors(driver: Driver): Driver {
  const marked = <T>(work: Promise<T>, connecting = false): Promise<T> =>
    work.catch((error: unknown) => {
      if (typeof error === 'object' && error !== null) {
        FROM_DATABASE.add(error);
        if (connecting) FROM_CONNECTING.add(error);
      }
      throw error;
    });
  const originals = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const original = (connection: DatabaseConnection) => originals.get(connection) ?? connection;
  return {
    init: () => marked(driver.init(), true),
    async acquireConnection() {
      const connection = await marked(driver.acquireConnection(), true);
      const wrapped: DatabaseConnection = {
        executeQuery: (query) => marked(connection.executeQuery(query)),
        streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
      };
      originals.set(wrapped, connection);
      return wrapped;
    },
    beginTransaction: (connection, settings) =>
      marked(driver.beginTransaction(original(connection), settings)),
    commitTransaction: (connection) => marked(driver.commitTransaction(original(connection))),
    rollbackTransaction: (connection) => marked(driver.rollbackTransaction(original(connection))),
    releaseConnection: (connection) => driver.releaseConnection(original(connection)),
    destroy: () => driver.destroy(),
    savepoint:
      driver.savepoint &&
      ((connection, name, compile) => marked(driver.savepoint!(original(connection), name, compile))),
    rollbackToSavepoint:
      driver.rollbackToSavepoint &&
      ((connection, name, compile) =>
        marked(driver.rollbackToSavepoint!(original(connection), name, compile))),
    releaseSavepoint:
      driver.releaseSavepoint &&
      ((connection, name, compile) => marked(driver.releaseSavepoint!(original(connection), name, compile))),
  };
}
