import { PostgresDialect } from 'kysely';
import pg from 'pg';

const INT8_OID = 20;

/**
 * A pooled pg connection. int8 (our millisecond timestamps and serial ids) is parsed to a number
 * per pool, not through pg's global type registry, so no module-level state changes.
 */
export function createPostgresDialect(url: string, maxConnections = 10): PostgresDialect {
  return new PostgresDialect({ pool: createPostgresPool(url, maxConnections) });
}

/** The pool behind createPostgresDialect, for callers that also read its statistics. */
export function createPostgresPool(url: string, maxConnections = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
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
  return pool;
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
