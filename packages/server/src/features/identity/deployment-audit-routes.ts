import { PylonError } from '@pylon/core';
import {
  AuditVerifyQuery,
  AuditVerifyReport,
  DeploymentAuditPage,
  DeploymentAuditQuery,
} from '@pylon/core/wire';
import {
  chainedAuditEntryBody,
  DEPLOYMENT_AUDIT,
  InvalidCursorError,
  latestAudit,
  queryAudit,
} from '../../audit/audit-log.js';
import { CheckpointVerifier } from '../../audit/checkpoints.js';
import { verifyAuditChain } from '../../audit/verify.js';
import type { Services } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import { defineRoute } from '../../http/route-table.js';
import { type DeploymentAdmins, requireDeploymentAdmin } from '../rbac/deployment-admin.js';

/**
 * The deployment's own audit: events that belong to no org (sign-ins, sign-ups, credentials,
 * sessions), which therefore no org's `/audit` shows. Deployment admins only. Same entries (with
 * their chain fields, so an export re-checks offline), paging and "latest first page" rule as the
 * RBAC `GET /audit`, and the same chain verification as `GET /audit/verify`.
 */
export function deploymentAuditRoutes(services: Services, admins: DeploymentAdmins) {
  return [
    defineRoute({
      method: 'get',
      path: '/audit/deployment/verify',
      summary:
        "Check the deployment audit's hash chain and signed checkpoints from `from` to the head: deployment admins only",
      tags: ['admin'],
      security: ['adminToken', 'session', 'sessionCookie'],
      query: AuditVerifyQuery,
      responses: {
        200: {
          description: '`ok: true`, or `ok: false` with `first_broken: {seq, id, reason}`',
          schema: AuditVerifyReport,
        },
        400: { description: 'VALIDATION_FAILED (from is a place, 1 or more)' },
        401: { description: 'UNAUTHORIZED: signed out' },
        403: { description: 'FORBIDDEN: not a deployment admin' },
      },
      handler: async (c, { query }) => {
        await requireDeploymentAdmin(admins, await getAuth(c, services), 'verify the deployment audit');
        const { db } = services.storage;
        const report = await verifyAuditChain(db, new CheckpointVerifier(db, services.sealer), {
          org: DEPLOYMENT_AUDIT,
          ...(query.from === undefined ? {} : { from: query.from }),
        });
        return c.json(report);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/audit/deployment',
      summary: 'Deployment-wide audit events (sign-ins, sign-ups, credentials): deployment admins only',
      tags: ['admin'],
      security: ['adminToken', 'session', 'sessionCookie'],
      query: DeploymentAuditQuery,
      responses: {
        200: {
          description:
            'Entries oldest first (`ts` in milliseconds); without `since` or `cursor`, the latest `limit`',
          schema: DeploymentAuditPage,
        },
        400: { description: 'VALIDATION_FAILED (limit 1–1000, or a cursor this server did not give out)' },
        401: { description: 'UNAUTHORIZED: signed out' },
        403: { description: 'FORBIDDEN: not a deployment admin' },
      },
      handler: async (c, { query }) => {
        await requireDeploymentAdmin(admins, await getAuth(c, services), 'read the deployment audit');
        const { db } = services.storage;
        const filters = {
          org: DEPLOYMENT_AUDIT,
          ...(query.limit === undefined ? {} : { limit: query.limit }),
          ...(query.action === undefined ? {} : { action: query.action }),
        };
        try {
          const page =
            query.since === undefined && query.cursor === undefined
              ? { entries: await latestAudit(db, filters) }
              : await queryAudit(db, {
                  ...filters,
                  ...(query.since === undefined ? {} : { since: query.since }),
                  ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
                });
          return c.json({
            entries: page.entries.map(chainedAuditEntryBody),
            ...('nextCursor' in page && page.nextCursor ? { next_cursor: page.nextCursor } : {}),
          });
        } catch (error) {
          if (error instanceof InvalidCursorError)
            throw new PylonError('VALIDATION_FAILED', { message: 'cursor is not one this server gave out' });
          throw error;
        }
      },
    }),
  ];
}
