/**
 * Paths blanked wherever they appear in a logged object: a last line of defence, since nothing
 * should log these in the first place (no secret in a log line). pino applies them on Node
 * (logger.ts); the Workers logger (workers/logger.ts) applies the same list.
 */
export const REDACT_PATHS: readonly string[] = [
  'token',
  'password',
  'code',
  'secret',
  'authorization',
  '*.token',
  '*.password',
  '*.code',
  '*.secret',
  '*.authorization',
  'headers.cookie',
  'headers.authorization',
];

export const REDACT_CENSOR = '[redacted]';

/**
 * The codes errors carry, which are no secret and are what an operator diagnoses an outage by:
 * PostgreSQL's SQLSTATE (five characters, `55000`), Node's errno and error codes (`ECONNREFUSED`,
 * `ERR_…`), SQLite's (`SQLITE_BUSY`). None of Pylon's secret codes has such a shape — a sign-in or
 * TOTP code is six digits, a backup or device code has a dash, an OAuth code is long and
 * mixed-case — so a `code` of one of these shapes is logged as it is.
 */
const ERROR_CODE = /^(?:[0-9A-Z]{5}|E[A-Z0-9_]+|ERR_[A-Z0-9_]+|SQLITE_[A-Z_]+)$/;

/**
 * What a REDACT_PATHS match is logged as: the censor, except a `code` shaped like an error's
 * (above). pino names a wildcard's key `null` in the path, so the shape alone decides.
 */
export function censorValue(value: unknown, path: readonly (string | null)[]): unknown {
  const isCode = path[path.length - 1] === 'code';
  return isCode && typeof value === 'string' && ERROR_CODE.test(value) ? value : REDACT_CENSOR;
}
