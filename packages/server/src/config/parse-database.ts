import { ConfigError } from './config-error.js';

export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string; readonly url: string }
  | {
      readonly kind: 'postgres';
      readonly url: string;
      /** Connections each process keeps at most (`PYLON_DATABASE_POOL_SIZE`); default 10. */
      readonly poolSize?: number;
    };

/** `PYLON_DATABASE_POOL_SIZE`'s default and bounds: connections per process, PostgreSQL only. */
export const DATABASE_POOL_SIZE = Object.freeze({ fallback: 10, min: 1, max: 1000 });

/**
 * `PYLON_DATABASE_URL`, with the pool size PostgreSQL connections are kept to. SQLite has one
 * connection per process, so the size does not apply to it and is not kept.
 */
export function parseDatabase(raw: string, poolSize: number = DATABASE_POOL_SIZE.fallback): DatabaseConfig {
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
    return { kind: 'postgres', url: raw, poolSize };
  }
  throw new ConfigError('PYLON_DATABASE_URL', 'must start with sqlite: or postgres://');
}
