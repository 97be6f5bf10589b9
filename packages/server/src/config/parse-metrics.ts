import { ConfigError, type Env, type ErrorCollector } from './config-error.js';
import { integer, read } from './parse-values.js';

/** Where and to whom `GET /metrics` (Prometheus text format) is served. */
export interface MetricsConfig {
  /** PYLON_METRICS_TOKEN: when set, `/metrics` requires it as a bearer token, wherever it is served. */
  readonly token: string | null;
  /** PYLON_METRICS_PORT: serve `/metrics` on this port (on PYLON_HOST) instead of the main one. */
  readonly port: number | null;
  /**
   * Whether the main port answers `/metrics`: not when it has a port of its own, and in production
   * only behind the token, so the public port never serves it to anyone who asks.
   */
  readonly onMainPort: boolean;
}

/** A bearer token someone could guess is no protection: at least this many characters. */
const MIN_TOKEN_LENGTH = 32;

export function parseMetrics(
  env: Env,
  pylonEnv: 'development' | 'production',
  mainPort: number,
  errors: ErrorCollector,
): MetricsConfig {
  const token = errors.take(() => {
    const value = read(env, 'PYLON_METRICS_TOKEN') ?? null;
    if (value !== null && value.length < MIN_TOKEN_LENGTH)
      throw new ConfigError(
        'PYLON_METRICS_TOKEN',
        `must be at least ${MIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`,
      );
    return value;
  }, null);
  const port = errors.take(() => {
    if (read(env, 'PYLON_METRICS_PORT') === undefined) return null;
    const value = integer(env, 'PYLON_METRICS_PORT', 0, 0, 65535);
    if (value !== 0 && value === mainPort)
      throw new ConfigError('PYLON_METRICS_PORT', `must differ from PYLON_PORT (${mainPort})`);
    return value;
  }, null);
  return { token, port, onMainPort: port === null && (pylonEnv === 'development' || token !== null) };
}
