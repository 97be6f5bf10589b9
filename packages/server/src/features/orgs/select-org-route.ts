import { PylonError } from '@pylon/core';
import { SelectOrgRequest, SelectOrgResponse } from '@pylon/core/wire';
import { defineRoute } from '../../http/route-table.js';
import { requireSession } from '../identity/route-helpers.js';
import type { OrgsContext } from './feature.js';

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
        if (body.orgId !== null && (await orgs.roleOf(body.orgId, session.userId)) === null) {
          throw new PylonError('NOT_A_MEMBER');
        }
        await context.identity.sessions.setActiveOrg(session.sessionId, body.orgId);
        return c.json({ tenantId: body.orgId });
      },
    }),
  ];
}
