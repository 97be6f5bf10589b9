import { PylonError } from '@pylon/core';
import { AuditPage, AuditQuery, AuditVerifyQuery, AuditVerifyReport } from '@pylon/core/wire';
import { chainedAuditEntryBody, InvalidCursorError, latestAudit, queryAudit } from '../../audit/audit-log.js';
import { CheckpointVerifier } from '../../audit/checkpoints.js';
import { verifyAuditChain } from '../../audit/verify.js';
import { defineRoute } from '../../http/route-table.js';
import { PYLON_CAPABILITIES } from './builtin-schema.js';
import { requireCapability } from './caller.js';
import type { RBACContext } from './context.js';

export function auditRoutes(context: RBACContext) {
  return [
    defineRoute({
      method: 'get',
      path: '/audit/verify',
      summary:
        "Check the org's audit hash chain and its signed checkpoints from `from` (default: the first kept entry) to the head; reports the first broken link",
      tags: ['audit'],
      security: ['session', 'adminToken'],
      query: AuditVerifyQuery,
      responses: {
        200: {
          description: '`ok: true`, or `ok: false` with `first_broken: {seq, id, reason}`',
          schema: AuditVerifyReport,
        },
        400: { description: 'validation_failed (from is a place, 1 or more)' },
        403: { description: 'insufficient_capability' },
      },
      handler: async (c, { query }) => {
        await requireCapability(c, context, PYLON_CAPABILITIES.auditRead);
        const { db } = context.services.storage;
        const report = await verifyAuditChain(db, new CheckpointVerifier(db, context.services.sealer), {
          org: c.get('orgId'),
          ...(query.from === undefined ? {} : { from: query.from }),
        });
        return c.json(report);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/audit',
      summary:
        "The org's audit log, oldest first: the latest `limit` entries, or from `since` on, continued with `cursor`",
      tags: ['audit'],
      security: ['session', 'adminToken'],
      query: AuditQuery,
      responses: {
        200: {
          description: 'A page of entries',
          schema: AuditPage,
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
            entries: page.entries.map(chainedAuditEntryBody),
            ...('nextCursor' in page && page.nextCursor ? { next_cursor: page.nextCursor } : {}),
          });
        } catch (error) {
          if (error instanceof InvalidCursorError) throw new PylonError('invalid_cursor');
          throw error;
        }
      },
    }),
  ];
}
