import { PylonError } from '@pylon/core';
import { z } from 'zod';
import { InvalidCursorError, queryAudit } from '../../audit/audit-log.js';
import { defineRoute } from '../../http/route-table.js';
import { PYLON_CAPABILITIES } from './builtin-schema.js';
import { requireCapability } from './caller.js';
import type { RBACContext } from './context.js';

export function auditRoutes(context: RBACContext) {
  return [
    defineRoute({
      method: 'get',
      path: '/audit',
      summary: "The org's audit log, oldest first, continued with `cursor`",
      tags: ['audit'],
      security: ['session', 'adminToken'],
      query: z.object({
        since: z.coerce.number().int().nonnegative().optional(),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
        action: z.string().max(100).optional(),
        cursor: z.string().max(200).optional(),
      }),
      responses: {
        200: {
          description: 'A page of entries',
          schema: z.object({
            entries: z.array(
              z.object({
                ts: z.number(),
                action: z.string(),
                actor: z.string(),
                target: z.string().optional(),
                detail: z.record(z.string(), z.unknown()).optional(),
                org: z.string(),
              }),
            ),
            next_cursor: z.string().optional(),
          }),
        },
        400: { description: 'validation_failed (limit 1–1000) or invalid_cursor' },
        403: { description: 'insufficient_capability' },
      },
      handler: async (c, { query }) => {
        await requireCapability(c, context, PYLON_CAPABILITIES.auditRead);
        try {
          const page = await queryAudit(context.services.storage.db, {
            org: c.get('orgId'),
            ...(query.since === undefined ? {} : { since: query.since }),
            ...(query.limit === undefined ? {} : { limit: query.limit }),
            ...(query.action === undefined ? {} : { action: query.action }),
            ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
          });
          return c.json({
            entries: page.entries.map((entry) => ({
              ts: entry.ts,
              action: entry.action,
              actor: entry.actor,
              ...(entry.target === null ? {} : { target: entry.target }),
              ...(entry.detail === null ? {} : { detail: entry.detail }),
              org: entry.org,
            })),
            ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}),
          });
        } catch (error) {
          if (error instanceof InvalidCursorError)
            throw new PylonError(400, 'invalid_cursor', 'cursor is not one this server gave out');
          throw error;
        }
      },
    }),
  ];
}
