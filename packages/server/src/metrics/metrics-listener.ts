import type { Config } from '../config/config.js';
import type { Logger } from '../logger.js';
import { type Listening, listen } from '../platform/listen.js';
import type { Metrics } from './metrics.js';
import { metricsPortHandler } from './metrics-endpoint.js';

/**
 * PYLON_METRICS_PORT: `/metrics` on a port of its own (on PYLON_HOST), for a scraper on an
 * internal network, so the public port never serves it. Null when the variable is unset.
 */
export async function listenForMetrics(
  metrics: Metrics,
  config: Config,
  logger: Logger,
): Promise<Listening | null> {
  if (config.metrics.port === null) return null;
  const listening = await listen(
    metricsPortHandler(metrics, config.metrics),
    config.metrics.port,
    config.host,
  );
  logger.info(
    `Metrics on ${listening.url}/metrics${config.metrics.token === null ? '' : ' (PYLON_METRICS_TOKEN required)'}`,
  );
  return listening;
}
