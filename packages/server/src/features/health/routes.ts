import { HealthResponse, ReadyResponse } from '@pylon/core/wire';
import { defineRoute } from '../../http/route-table.js';

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
    summary: 'Readiness: the database answers and a signing key is present',
    tags: ['operations'],
    responses: {
      200: { description: 'Ready to serve', schema: ReadyResponse },
      503: { description: 'Not ready', schema: ReadyResponse },
    },
    handler: async (c, _input, { storage, keys }) => {
      const databaseOK = await storage.ping();
      const keyOK = databaseOK && (await keys.hasSigningKey().catch(() => false));
      const body = {
        status: databaseOK && keyOK ? ('ready' as const) : ('not_ready' as const),
        database: databaseOK ? ('ok' as const) : ('unreachable' as const),
        signing_key: keyOK ? ('ok' as const) : ('missing' as const),
      };
      return c.json(body, body.status === 'ready' ? 200 : 503);
    },
  }),
];
