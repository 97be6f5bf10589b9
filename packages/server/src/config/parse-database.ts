import { ConfigError, type Env, type ErrorCollector } from './config-error.js';
import { DEFAULTS } from './defaults.js';
import { integer, read } from './parse-values.js';

export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string; readonly url: string }
  | {
      readonly kind: 'postgres';
      readonly url: string;
      /** Connections each process keeps at most (`PYLON_DATABASE_POOL_SIZE`); default 10. */
      readonly poolSize?: number;
      /**
       * How long a statement waits for a connection — a new one, or a free one from a full pool —
       * before failing (`PYLON_DATABASE_CONNECT_TIMEOUT_MS`); default 10 000.
       */
      readonly connectTimeoutMs?: number;
      /**
       * How long a statement may wait for its answer once it has a connection before it fails and
       * the connection is closed (`PYLON_DATABASE_STATEMENT_TIMEOUT_MS`); default 30 000.
       */
      readonly statementTimeoutMs?: number;
    };

/** `PYLON_DATABASE_POOL_SIZE`'s default and bounds: connections per process, PostgreSQL only. */
export const DATABASE_POOL_SIZE = Object.freeze({ fallback: 10, min: 1, max: 1000 });

/** `PYLON_DATABASE_CONNECT_TIMEOUT_MS`'s default and bounds, in milliseconds; PostgreSQL only. */
export const DATABASE_CONNECT_TIMEOUT_MS = Object.freeze({ fallback: 10_000, min: 100, max: 600_000 });

/** `PYLON_DATABASE_STATEMENT_TIMEOUT_MS`'s default and bounds, in milliseconds; PostgreSQL only. */
export const DATABASE_STATEMENT_TIMEOUT_MS = Object.freeze({ fallback: 30_000, min: 100, max: 3_600_000 });

/**
 * `PYLON_DATABASE_URL`, with the pool PostgreSQL connections are kept in (its size and how long a
 * statement waits for a connection and for its answer). SQLite has one connection per process, so neither applies to
 * it and neither is kept.
 */
export function parseDatabase(
  raw: string,
  pool: { poolSize: number; connectTimeoutMs: number; statementTimeoutMs: number } = {
    poolSize: DATABASE_POOL_SIZE.fallback,
    connectTimeoutMs: DATABASE_CONNECT_TIMEOUT_MS.fallback,
    statementTimeoutMs: DATABASE_STATEMENT_TIMEOUT_MS.fallback,
  },
): DatabaseConfig {
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError('PYLON_DATABASE_URL', 'sqlite: needs a file path');
    return { kind: 'sqlite', path, url: raw };
  }
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('PYLON_DATABASE_URL', 'is not a valid postgres:// URL');
    }
    return { kind: 'postgres', url: raw, ...pool };
  }
  throw new ConfigError('PYLON_DATABASE_URL', 'must start with sqlite: or postgres://');
}

/**
 * `PYLON_DATABASE_URL` and its pool's settings from `env` (`PYLON_DATABASE_POOL_SIZE`,
 * `PYLON_DATABASE_CONNECT_TIMEOUT_MS`, `PYLON_DATABASE_STATEMENT_TIMEOUT_MS`). A bad value is
 * added to `errors` and its default used, so start-up names every bad variable at once.
 */
export function parseDatabaseEnv(env: Env, errors: ErrorCollector): DatabaseConfig {
  const bounded = (name: string, bounds: { fallback: number; min: number; max: number }) =>
    errors.take(() => integer(env, name, bounds.fallback, bounds.min, bounds.max), bounds.fallback);
  const pool = {
    poolSize: bounded('PYLON_DATABASE_POOL_SIZE', DATABASE_POOL_SIZE),
    connectTimeoutMs: bounded('PYLON_DATABASE_CONNECT_TIMEOUT_MS', DATABASE_CONNECT_TIMEOUT_MS),
    statementTimeoutMs: bounded('PYLON_DATABASE_STATEMENT_TIMEOUT_MS', DATABASE_STATEMENT_TIMEOUT_MS),
  };
  return errors.take(
    () => parseDatabase(read(env, 'PYLON_DATABASE_URL') ?? DEFAULTS.databaseURL, pool),
    parseDatabase(DEFAULTS.databaseURL),
  );
}
