import type { MetricsConfig } from '../config/config.js';
import { constantTimeEqual } from '../platform/node-crypto.js';
import type { Metrics } from './metrics.js';

/** The root surface's error shape (`http/errors.ts`): `{ "error": code, "message" }`. */
function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: code, message });
}

/**
 * The `/metrics` answer for a request carrying `authorization`: the Prometheus text when
 * PYLON_METRICS_TOKEN is unset or sent as `Bearer <token>` (compared in constant time), else 401.
 */
export async function answerMetrics(
  metrics: Metrics,
  config: MetricsConfig,
  authorization: string | undefined,
): Promise<Response> {
  if (config.token !== null) {
    const match = /^Bearer (\S+)$/i.exec(authorization ?? '');
    if (match === null || !constantTimeEqual(match[1]!, config.token)) {
      return new Response(errorBody('unauthorized', 'Send the metrics token: Authorization: Bearer …'), {
        status: 401,
        headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="metrics"' },
      });
    }
  }
  return new Response(await metrics.render(), {
    status: 200,
    headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' },
  });
}

/** The whole of the PYLON_METRICS_PORT listener: `GET /metrics`, and 404 for anything else. */
export function metricsPortHandler(metrics: Metrics, config: MetricsConfig) {
  return async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    if (request.method !== 'GET' || pathname !== '/metrics') {
      return new Response(errorBody('not_found', 'Only GET /metrics is served on this port'), {
        status: 404,
        headers: { 'content-type': 'application/json' },
      });
    }
    return answerMetrics(metrics, config, request.headers.get('authorization') ?? undefined);
  };
}
