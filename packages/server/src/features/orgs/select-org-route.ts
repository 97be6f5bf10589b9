import { PylonError } from '@pylon/core';
import { SelectOrgRequest, SelectOrgResponse } from '@pylon/core/wire';
import { defineRoute } from '../../http/route-table.js';
import { requireSession } from '../identity/route-helpers.js';
import type { OrgsContext } from './feature.js';
import { isLockedMember } from './org-access.js';

export function selectOrgRoutes(context: OrgsContext) {
  const { services, orgs } = context;
  return [
    defineRoute({
      method: 'post',
      path: '/select-org',
      summary: "Choose the session's active org (null clears it); reflected in /me as tenantId and roles",
      tags: ['orgs'],
      security: ['session', 'sessionCookie'],
      body: SelectOrgRequest,
      responses: {
        200: { description: 'Selected', schema: SelectOrgResponse },
        401: { description: 'UNAUTHORIZED' },
        403: { description: 'NOT_A_MEMBER' },
      },
      handler: async (c, { body }) => {
        const session = await requireSession(c, services);
        const { orgId } = body;
        // The membership is checked under the org's lock, the one a deletion or a removal takes
        // first, so neither commits between the check and the session pointing at the org.
        await services.storage.db.transaction().execute(async (trx) => {
          if (orgId !== null && !(await isLockedMember(trx, orgs, orgId, session.userId))) {
            throw new PylonError('NOT_A_MEMBER');
          }
          await context.identity.sessions.setActiveOrg(session.sessionId, orgId, trx);
        });
        return c.json({ tenantId: orgId });
      },
    }),
  ];
}
