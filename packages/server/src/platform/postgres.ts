import { PostgresDialect } from 'kysely';
import pg from 'pg';

const INT8_OID = 20;

/**
 * A pooled pg connection. int8 (our millisecond timestamps and serial ids) is parsed to a number
 * per pool, not through pg's global type registry, so no module-level state changes.
 */
export function createPostgresDialect(url: string, maxConnections = 10): PostgresDialect {
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
  return new PostgresDialect({ pool });
}
