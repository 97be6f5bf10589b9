import { PylonError } from '@pylon/core';
import { z } from 'zod';
import { appendAudit } from '../../audit/audit-log.js';
import type { AppContext } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import { defineRoute } from '../../http/route-table.js';
import { clientIP, type Identity } from './identity.js';

/**
 * Disabling a user signs them out everywhere at once (their sessions are deleted in the same
 * transaction) and keeps them out: a disabled user's sessions never resolve and sign-ins fail.
 * The deployment admin only; not open in development mode, unlike `POST /session`.
 */
export function userAdminRoutes(identity: Identity) {
  const { services } = identity;
  const setDisabled = async (c: AppContext, disabled: boolean) => {
    const auth = await getAuth(c, services);
    if (!auth.isAdmin) throw new PylonError(403, 'FORBIDDEN', 'Only the admin token may disable users');
    const userId = c.req.param('id') ?? '';
    const now = services.clock.now();
    const revoked = await services.storage.db.transaction().execute(async (trx) => {
      if (!(await identity.users.setDisabled(trx, userId, disabled ? now : null))) {
        throw new PylonError(404, 'NOT_FOUND', 'No such user');
      }
      const count = disabled ? await identity.sessions.revokeAll(userId, {}, trx) : 0;
      await appendAudit(trx, now, {
        org: services.config.orgId,
        action: disabled ? 'user.disabled' : 'user.enabled',
        actor: 'admin',
        target: userId,
        detail: disabled ? { revoked_sessions: count } : null,
        ip: clientIP(c, services),
        requestId: c.get('requestId'),
      });
      return count;
    });
    return c.json({ user_id: userId, disabled, revoked_count: revoked });
  };
  const responses = {
    200: {
      description: 'Done',
      schema: z.object({ user_id: z.string(), disabled: z.boolean(), revoked_count: z.number() }),
    },
    403: { description: 'FORBIDDEN: admin token only' },
    404: { description: 'NOT_FOUND' },
  };
  return [
    defineRoute({
      method: 'post',
      path: '/users/:id/disable',
      summary: 'Disable a user and revoke all their sessions at once (admin token)',
      tags: ['admin'],
      security: ['adminToken'],
      responses,
      handler: (c) => setDisabled(c, true),
    }),
    defineRoute({
      method: 'post',
      path: '/users/:id/enable',
      summary: 'Re-enable a disabled user (admin token)',
      tags: ['admin'],
      security: ['adminToken'],
      responses,
      handler: (c) => setDisabled(c, false),
    }),
  ];
}
