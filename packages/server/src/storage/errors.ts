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
];

/**
 * Whether an error means the database cannot be reached or cannot take the request now, so the
 * request may succeed if tried again shortly — as opposed to a fault in the request or in Pylon:
 * PostgreSQL refusing, dropping or timing out a connection (including waiting longer than
 * `PYLON_DATABASE_CONNECT_TIMEOUT_MS` for one from a full pool), shutting down or out of
 * connections; SQLite still locked by another process when its busy timeout ran out
 * (`SQLITE_BUSY`, extended codes included).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (CONNECTION_ERRNOS.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
    if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_')) return true;
  }
  return typeof message === 'string' && PG_CONNECTION_MESSAGES.some((text) => message.startsWith(text));
}
