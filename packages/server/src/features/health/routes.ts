import { PylonError } from '@pylon/core';
import { HealthResponse, ReadyResponse } from '@pylon/core/wire';
import { defineRoute } from '../../http/route-table.js';
import { answerMetrics } from '../../metrics/metrics-endpoint.js';
import { checkReadiness } from './readiness.js';

export const healthRoutes = [
  defineRoute({
    method: 'get',
    path: '/health',
    summary: 'Liveness: the process answers',
    tags: ['operations'],
    responses: { 200: { description: 'Alive', schema: HealthResponse } },
    handler: (c) => c.json({ status: 'ok' as const }),
  }),
  defineRoute({
    method: 'get',
    path: '/ready',
    summary: 'Readiness: the database answers, its migrations are all applied and a signing key is present',
    tags: ['operations'],
    responses: {
      200: { description: 'Ready to serve', schema: ReadyResponse },
      503: { description: 'Not ready', schema: ReadyResponse },
    },
    handler: async (c, _input, services) => {
      const body = await checkReadiness(services);
      return c.json(body, body.status === 'ready' ? 200 : 503);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (text exposition format); PYLON_METRICS_TOKEN as a bearer token when set',
    tags: ['operations'],
    security: ['metricsToken'],
    // Open without PYLON_METRICS_TOKEN: the handler checks the token when one is set.
    anonymous: 'served',
    responses: {
      200: { description: 'The metrics, `text/plain; version=0.0.4`' },
      401: { description: 'unauthorized: PYLON_METRICS_TOKEN is set and was not sent' },
      404: {
        description:
          'not_found: metrics are served on PYLON_METRICS_PORT instead, or this is production without PYLON_METRICS_TOKEN',
      },
    },
    handler: async (c, _input, { config, metrics }) => {
      if (!config.metrics.onMainPort) throw new PylonError('not_found', { message: 'No such route' });
      return answerMetrics(metrics, config.metrics, c.req.header('authorization'));
    },
  }),
];
