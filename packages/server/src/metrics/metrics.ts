import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, type MetricObjectWithValues, type MetricValue, Registry } from 'prom-client';
import {
  type CounterSeries,
  type HistogramSeries,
  SeriesCounter,
  SeriesHistogram,
} from './series-metrics.js';

/** How a sign-in ended, as `pylon_sign_ins_total` counts it. */
export type SignInResult = 'success' | 'mfa_required' | 'failed';

/** The database pool's connections at this moment (PostgreSQL; SQLite has one connection, no pool). */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/**
 * One server's Prometheus metrics, in a registry of its own (two servers in one process share
 * nothing, and prom-client's global registry is never touched). Labels are bounded sets: route
 * patterns, never URLs; sign-in method names; statuses. No label carries a token, address or id.
 */
export interface Metrics {
  readonly contentType: string;
  /** One answered request: `route` is the matched route pattern (`unmatched` when none). */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  signIn(method: string, result: SignInResult): void;
  tokenMinted(): void;
  observeQuery(operation: string, seconds: number, failed: boolean): void;
  /** Read the pool's connections at every scrape. */
  watchPool(stats: () => PoolStats): void;
  /** Read the storage's count of reads answered from memory at every scrape (SQLite). */
  watchReadCache(stats: () => { hits: number; misses: number }): void;
  /** SQLite: the WAL's fsyncs and their time, read at each scrape. */
  watchWalSyncs(stats: () => { syncs: number; seconds: number; checkpoints: number }): void;
  /** The Prometheus text exposition of everything above. */
  render(): Promise<string>;
  /** The same as prom-client's JSON, for merging several processes' metrics (cluster-metrics.ts). */
  snapshot(): Promise<MetricObjectWithValues<MetricValue<string>>[]>;
  /** Stop the event-loop delay monitor. */
  close(): void;
}

const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const QUERY_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

interface RequestSeries {
  count: CounterSeries;
  duration: HistogramSeries;
  refused: { inc(): void } | null;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const requests = new SeriesCounter(registry, {
    name: 'pylon_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
  });
  const requestDuration = new SeriesHistogram(registry, {
    name: 'pylon_http_request_duration_seconds',
    help: 'Time from the request reaching Pylon to its response, by method, route pattern and status',
    buckets: REQUEST_BUCKETS,
  });
  const rateLimited = new Counter({
    name: 'pylon_rate_limit_refusals_total',
    help: 'Requests refused by a rate limit or lockout (answered 429), by route pattern',
    labelNames: ['route'] as const,
    registers: [registry],
  });
  const signIns = new Counter({
    name: 'pylon_sign_ins_total',
    help: 'Sign-ins by method and result (success, mfa_required, failed)',
    labelNames: ['method', 'result'] as const,
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'pylon_tokens_minted_total',
    help: 'JWTs signed with the deployment key (POST /token, POST /api/auth/jwt)',
    registers: [registry],
  });
  const queryDuration = new SeriesHistogram(registry, {
    name: 'pylon_db_query_duration_seconds',
    help: 'Database query time, by operation (select, insert, update, delete, other)',
    buckets: QUERY_BUCKETS,
  });
  const queryErrors = new SeriesCounter(registry, {
    name: 'pylon_db_query_errors_total',
    help: 'Database queries that failed, by operation',
  });
  let pool: (() => PoolStats) | null = null;
  new Gauge({
    name: 'pylon_db_pool_connections',
    help: 'Database pool connections by state (total, idle, waiting); PostgreSQL only',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      if (pool === null) return;
      const stats = pool();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });
  let readCache: (() => { hits: number; misses: number }) | null = null;
  let walSyncs: (() => { syncs: number; seconds: number; checkpoints: number }) | null = null;
  new Counter({
    name: 'pylon_db_read_cache_total',
    help: 'Hot-path reads answered from memory (hit) or by running their statement (miss); SQLite only',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      if (readCache === null) return;
      const stats = readCache();
      this.reset();
      this.inc({ outcome: 'hit' }, stats.hits);
      this.inc({ outcome: 'miss' }, stats.misses);
    },
  });
  // perf_hooks' histogram of event-loop delay since the last scrape (it is reset at each).
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  new Gauge({
    name: 'pylon_event_loop_delay_seconds',
    help: 'Event-loop delay since the previous scrape, by quantile (0.5, 0.99, 1 = max)',
    labelNames: ['quantile'] as const,
    registers: [registry],
    // Across workers the worst one is the figure that matters, not a sum of delays.
    aggregator: 'max',
    collect() {
      const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
      this.set({ quantile: '0.5' }, seconds(loop.percentile(50)));
      this.set({ quantile: '0.99' }, seconds(loop.percentile(99)));
      this.set({ quantile: '1' }, seconds(loop.max));
      loop.reset();
    },
  });
  new Gauge({
    name: 'pylon_process_resident_memory_bytes',
    help: 'Resident set size of this process',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: 'pylon_process_heap_used_bytes',
    help: 'V8 heap in use by this process',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage().heapUsed);
    },
  });

  // Label look-ups hash their values; the hot path keeps each series' children by one string key.
  const series = new Map<string, RequestSeries>();
  const seriesFor = (method: string, route: string, status: number): RequestSeries => {
    const key = `${method} ${status} ${route}`;
    let found = series.get(key);
    if (found === undefined) {
      const labels = { method, route, status: String(status) };
      found = {
        count: requests.labels(labels),
        duration: requestDuration.labels(labels),
        refused: status === 429 ? rateLimited.labels({ route }) : null,
      };
      series.set(key, found);
    }
    return found;
  };

  // One series per operation, made on first use: a statement's observation does no label work.
  const querySeries = new Map<string, { duration: HistogramSeries; errors: CounterSeries }>();
  const queryFor = (operation: string) => {
    let found = querySeries.get(operation);
    if (found === undefined) {
      found = { duration: queryDuration.labels({ operation }), errors: queryErrors.labels({ operation }) };
      querySeries.set(operation, found);
    }
    return found;
  };

  return {
    contentType: registry.contentType,
    observeRequest(method, route, status, seconds) {
      const found = seriesFor(METHODS.has(method) ? method : 'OTHER', route, status);
      found.count.inc();
      found.duration.observe(seconds);
      found.refused?.inc();
    },
    signIn(method, result) {
      signIns.inc({ method, result });
    },
    tokenMinted() {
      tokens.inc();
    },
    observeQuery(operation, seconds, failed) {
      const found = queryFor(operation);
      found.duration.observe(seconds);
      if (failed) found.errors.inc();
    },
    watchPool(stats) {
      pool = stats;
    },
    watchReadCache(stats) {
      readCache = stats;
    },
    watchWalSyncs(stats) {
      const registered = walSyncs !== null;
      walSyncs = stats;
      if (registered) return;
      const read = () => walSyncs!();
      // Registered only here: PostgreSQL makes its commits durable itself and shows none of them.
      new Counter({
        name: 'pylon_db_wal_syncs_total',
        help: 'fsyncs of the SQLite WAL that acknowledged writes waited for (one serves every commit before it)',
        registers: [registry],
        collect() {
          this.reset();
          this.inc(read().syncs);
        },
      });
      new Counter({
        name: 'pylon_db_wal_sync_seconds_total',
        help: 'Seconds those fsyncs of the SQLite WAL took, in all (on the thread pool, not the event loop)',
        registers: [registry],
        collect() {
          this.reset();
          this.inc(read().seconds);
        },
      });
      new Counter({
        name: 'pylon_db_wal_checkpoints_total',
        help: 'Checkpoints of the SQLite WAL run by this process, in a worker thread (not the event loop)',
        registers: [registry],
        collect() {
          this.reset();
          this.inc(read().checkpoints);
        },
      });
    },
    render: () => registry.metrics(),
    snapshot: () => registry.getMetricsAsJSON(),
    close() {
      loop.disable();
    },
  };
}
