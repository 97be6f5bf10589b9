import type { Metrics } from '../metrics/metrics.js';

/**
 * Metrics on Workers: none. prom-client's counters would live in one isolate and vanish with it,
 * and its process gauges need Node APIs Workers lack; a deployment reads Workers Analytics and
 * Workers Logs instead. `/metrics` answers that it has nothing rather than a misleading empty set.
 */
export function createWorkersMetrics(): Metrics {
  const metrics = {
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    observeRequest() {},
    signIn() {},
    tokenMinted() {},
    observeQuery() {},
    watchPool() {},
    watchReadCache() {},
    watchWalSyncs() {},
    async render() {
      return '# Pylon on Cloudflare Workers exports no Prometheus metrics: use Workers Analytics and Workers Logs.\n';
    },
    /** Nothing to merge with other processes' figures (cluster metrics are a Node matter). */
    async snapshot(): Promise<never[]> {
      return [];
    },
    close() {},
  };
  return metrics;
}
