import { PylonError } from '@pylon/core';
import { z } from 'zod';
import {
  AUDIT_PAGE_DEFAULT,
  type AuditEntry,
  InvalidCursorError,
  queryAudit,
} from '../../audit/audit-log.js';
import { defineRoute } from '../../http/route-table.js';
import type { DB } from '../../storage/database.js';
import { PYLON_CAPABILITIES } from './builtin-schema.js';
import { requireCapability } from './caller.js';
import type { RBACContext } from './context.js';

/**
 * The newest `limit` entries, still oldest first: `pylon audit tail` prints a page in the order it
 * comes and shows the latest activity when asked for no `since`. Newest first by (ts, id) so the
 * read is a backwards range scan of the same index as the paged query.
 */
async function latestAudit(
  db: DB,
  query: { org: string; limit?: number; action?: string },
): Promise<AuditEntry[]> {
  let select = db.selectFrom('audit_events').selectAll().where('org', '=', query.org);
  if (query.action !== undefined) select = select.where('action', '=', query.action);
  const rows = await select
    .orderBy('ts', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit ?? AUDIT_PAGE_DEFAULT)
    .execute();
  return rows.reverse().map((row) => ({
    ...row,
    id: Number(row.id),
    ts: Number(row.ts),
    detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
  }));
}

export function auditRoutes(context: RBACContext) {
  return [
    defineRoute({
      method: 'get',
      path: '/audit',
      summary:
        "The org's audit log, oldest first: the latest `limit` entries, or from `since` on, continued with `cursor`",
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
          // Without a starting point (`since` or `cursor`), the latest entries; a page from there on
          // otherwise. The latest page has no next_cursor: nothing comes after it yet.
          const fromStart = query.since !== undefined || query.cursor !== undefined;
          const page = fromStart
            ? await queryAudit(context.services.storage.db, {
                org: c.get('orgId'),
                ...(query.since === undefined ? {} : { since: query.since }),
                ...(query.limit === undefined ? {} : { limit: query.limit }),
                ...(query.action === undefined ? {} : { action: query.action }),
                ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
              })
            : {
                entries: await latestAudit(context.services.storage.db, {
                  org: c.get('orgId'),
                  ...(query.limit === undefined ? {} : { limit: query.limit }),
                  ...(query.action === undefined ? {} : { action: query.action }),
                }),
              };
          return c.json({
            entries: page.entries.map((entry) => ({
              ts: entry.ts,
              action: entry.action,
              actor: entry.actor,
              ...(entry.target === null ? {} : { target: entry.target }),
              ...(entry.detail === null ? {} : { detail: entry.detail }),
              org: entry.org,
            })),
            ...('nextCursor' in page && page.nextCursor ? { next_cursor: page.nextCursor } : {}),
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
