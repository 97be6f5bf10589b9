import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { LogEvent } from 'kysely';
import type { AppEnv } from '../http/context.js';
import type { Storage } from '../storage/database.js';
import type { Metrics } from './metrics.js';

/**
 * Counts and times every request by its route pattern (`/api/auth/magic/verify`,
 * `/o/:orgId/token`), never by its URL, so the series stay a fixed set however many paths are
 * asked for; a request no route matched is `unmatched`.
 */
export function requestMetrics(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const pattern = routePath(c, -1);
    const route = pattern === '' || pattern.endsWith('*') ? 'unmatched' : pattern;
    metrics.observeRequest(c.req.method, route, c.res.status, (performance.now() - started) / 1000);
  };
}

const OPERATIONS: Readonly<Record<string, string>> = {
  SelectQueryNode: 'select',
  InsertQueryNode: 'insert',
  UpdateQueryNode: 'update',
  DeleteQueryNode: 'delete',
};

/** Feed the storage's query timings, pool state, kept reads and WAL fsyncs to the metrics. */
export function observeStorage(storage: Storage, metrics: Metrics): void {
  storage.observeQueries((event: LogEvent) => {
    const operation = OPERATIONS[event.query.query.kind] ?? 'other';
    metrics.observeQuery(operation, event.queryDurationMillis / 1000, event.level === 'error');
  });
  if (storage.poolStats() !== null) metrics.watchPool(() => storage.poolStats()!);
  if (storage.readCacheStats() !== null) metrics.watchReadCache(() => storage.readCacheStats()!);
  if (storage.walSyncStats() !== null) metrics.watchWalSyncs(() => storage.walSyncStats()!);
}
