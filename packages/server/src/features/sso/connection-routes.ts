import { PylonError } from '@pylon/core';
import type { z } from 'zod';
import { appendAudit } from '../../audit/audit-log.js';
import type { AppContext } from '../../http/context.js';
import { defineRoute } from '../../http/route-table.js';
import { requestFacts } from '../identity/route-helpers.js';
import { actorName, orgActor } from '../orgs/org-access.js';
import { requireOwner } from '../orgs/policy.js';
import type { SSOContext } from './sso-context.js';
import { RemoveSSOResponse } from './sso-schemas.js';

export const orgIdOf = (c: AppContext) => c.req.param('id') ?? '';

/** An SSO change in the org's own audit (`sso.configured`, `sso.removed`), targeting the org. */
export async function auditSSOChange(
  { services }: SSOContext,
  c: AppContext,
  orgId: string,
  action: string,
  actor: string,
  detail: Record<string, unknown>,
): Promise<void> {
  const facts = await requestFacts(c, services);
  await appendAudit(services.storage.db, services.clock.now(), {
    org: orgId,
    action,
    actor,
    target: orgId,
    detail,
    ip: facts.ip,
    requestId: facts.requestId,
  });
}

/**
 * Reading (any member) and removing (owners) an org's connection of one kind: the same two routes
 * for OIDC at `/orgs/:id/sso` and SAML at `/orgs/:id/saml`, each with its own view.
 */
export function connectionRoutes<View>(
  context: SSOContext,
  connection: {
    kind: 'oidc' | 'saml';
    path: string;
    readSummary: string;
    viewSchema: z.ZodType<View>;
    view(orgId: string): Promise<View>;
  },
) {
  const { services, store, orgs } = context;
  const { kind, path } = connection;
  return [
    defineRoute({
      method: 'get',
      path,
      summary: connection.readSummary,
      tags: ['sso'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'The connection', schema: connection.viewSchema },
        404: { description: 'ORG_NOT_FOUND or SSO_NOT_CONFIGURED' },
      },
      handler: async (c) => {
        const orgId = orgIdOf(c);
        await orgActor(c, services, orgs, orgId);
        return c.json(await connection.view(orgId));
      },
    }),
    defineRoute({
      method: 'delete',
      path,
      summary: `Remove the org's ${kind === 'oidc' ? 'OIDC' : 'SAML'} connection and the domains only it claimed (owners)`,
      tags: ['sso'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'Removed', schema: RemoveSSOResponse },
        403: { description: 'FORBIDDEN: only owners configure SSO' },
        404: { description: 'ORG_NOT_FOUND or SSO_NOT_CONFIGURED' },
      },
      handler: async (c) => {
        const orgId = orgIdOf(c);
        const actor = await orgActor(c, services, orgs, orgId);
        requireOwner(actor, 'configure SSO');
        if (!(await store.remove(orgId, kind))) throw new PylonError('SSO_NOT_CONFIGURED');
        await auditSSOChange(context, c, orgId, 'sso.removed', actorName(actor), { kind });
        return c.json({ org_id: orgId, kind, removed: true as const });
      },
    }),
  ];
}
