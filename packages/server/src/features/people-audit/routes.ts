import { PylonError } from '@pylon/core';
import { AuditPage, AuditQuery } from '@pylon/core/wire';
import {
  type AuditPage as AuditPageResult,
  auditEntryBody,
  InvalidCursorError,
  latestAudit,
  queryAudit,
  queryPersonAudit,
} from '../../audit/audit-log.js';
import type { AppContext, Services } from '../../http/context.js';
import { defineRoute } from '../../http/route-table.js';
import { requireSession } from '../identity/route-helpers.js';
import type { OrgStore } from '../orgs/org-store.js';

/** Roles that may read an org's whole audit from `/api/auth/audit/tenant`. */
const AUDIT_READERS = new Set(['owner', 'admin']);

/** The page as the wire has it; a cursor this server did not give out is VALIDATION_FAILED. */
async function answerPage(c: AppContext, read: () => Promise<AuditPageResult>) {
  try {
    const page = await read();
    return c.json({
      entries: page.entries.map(auditEntryBody),
      ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}),
    });
  } catch (error) {
    if (error instanceof InvalidCursorError)
      throw new PylonError('VALIDATION_FAILED', { message: 'cursor is not one this server gave out' });
    throw error;
  }
}

const paging = (query: AuditQuery) => ({
  ...(query.limit === undefined ? {} : { limit: query.limit }),
  ...(query.action === undefined ? {} : { action: query.action }),
  ...(query.since === undefined ? {} : { since: query.since }),
  ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
});
/** Without `since` or `cursor` a reader wants the latest activity, as `pylon audit tail` shows it. */
const wantsLatest = (query: AuditQuery) => query.since === undefined && query.cursor === undefined;

/**
 * Audit for people: a person's own events (`GET /audit`) and, for an owner or admin of the
 * session's active org, that org's (`GET /audit/tenant`). Sessions only: reading who did what is
 * not something a key hands out.
 */
export function peopleAuditRoutes(services: Services, orgs: OrgStore) {
  const { db } = services.storage;
  return [
    defineRoute({
      method: 'get',
      path: '/audit',
      summary: "The caller's own audit events: what they did and what was done to them, in every org",
      tags: ['sessions'],
      security: ['session', 'sessionCookie'],
      query: AuditQuery,
      responses: {
        200: {
          description: 'Entries oldest first (`ts` in ms); without `since` or `cursor`, the latest `limit`',
          schema: AuditPage,
        },
        400: { description: 'VALIDATION_FAILED (limit 1–1000, or a cursor this server did not give out)' },
        401: { description: 'UNAUTHORIZED' },
        403: { description: 'API_KEY_AUTH_FORBIDDEN' },
      },
      handler: async (c, { query }) => {
        const me = await requireSession(c, services);
        return answerPage(c, () =>
          queryPersonAudit(db, {
            userId: me.userId,
            email: me.email,
            latest: wantsLatest(query),
            ...paging(query),
          }),
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/audit/tenant',
      summary: "The active org's audit: its owners and admins only",
      tags: ['sessions'],
      security: ['session', 'sessionCookie'],
      query: AuditQuery,
      responses: {
        200: {
          description: 'Entries oldest first (`ts` in ms); without `since` or `cursor`, the latest `limit`',
          schema: AuditPage,
        },
        400: { description: 'VALIDATION_FAILED (limit 1–1000, or a cursor this server did not give out)' },
        401: { description: 'UNAUTHORIZED' },
        403: {
          description: 'FORBIDDEN (no active org, or not its owner or admin) or API_KEY_AUTH_FORBIDDEN',
        },
      },
      handler: async (c, { query }) => {
        const me = await requireSession(c, services);
        const org = me.tenantId;
        if (org === null)
          throw new PylonError('FORBIDDEN', { message: 'Select an org first: POST /select-org' });
        // Read now, not from the session: a demoted admin loses access at once.
        const role = await orgs.roleOf(org, me.userId);
        if (role === null || !AUDIT_READERS.has(role))
          throw new PylonError('FORBIDDEN', { message: "Only the org's owners and admins read its audit" });
        const filters = { org, ...paging(query) };
        return answerPage(c, async () =>
          wantsLatest(query) ? { entries: await latestAudit(db, filters) } : queryAudit(db, filters),
        );
      },
    }),
  ];
}
