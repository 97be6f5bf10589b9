import { PylonError } from '@pylon/core';
import { SessionList, SetUserDisabledResponse, UserListQuery, UserPage } from '@pylon/core/wire';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { AppContext } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import { defineRoute } from '../../http/route-table.js';
import { type DeploymentAdmins, requireDeploymentAdmin } from '../rbac/deployment-admin.js';
import type { Identity } from './identity.js';
import { clientIP } from './route-helpers.js';
import { sessionSummary } from './session-routes.js';
import type { User } from './user-store.js';

const LIST_LIMIT_DEFAULT = 50;

/** Opaque to clients: the last row's (created_at, id), so the next page starts right after it. */
function encodeCursor(user: User): string {
  return Buffer.from(`${user.createdAt}.${user.id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const match = /^(\d{1,16})\.([A-Za-z0-9_-]{1,128})$/.exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  if (!match) throw new PylonError('VALIDATION_FAILED', { message: 'cursor: not one this server gave out' });
  return { createdAt: Number(match[1]), id: match[2]! };
}

/**
 * Disabling a user signs them out everywhere at once (their sessions, OAuth refresh tokens, API
 * keys and approved device logins not yet collected are deleted in the same transaction) and keeps them
 * out: sign-ins fail, and what the server cannot delete (OAuth access tokens, authorization codes)
 * is refused when issued before the last disable (`users.last_disabled_at`), even after an enable.
 * Deployment admins only (the admin token, or a `pylon-admin` of the default org signed in, as for
 * `GET /users`); not open in development mode, unlike `POST /session`. Nobody disables themselves:
 * the last admin would lock the deployment out of its own console.
 */
export function userAdminRoutes(identity: Identity, admins: DeploymentAdmins) {
  const { services } = identity;
  const setDisabled = async (c: AppContext, disabled: boolean) => {
    const auth = await requireDeploymentAdmin(
      admins,
      await getAuth(c, services),
      disabled ? 'disable users' : 'enable users',
    );
    const userId = c.req.param('id') ?? '';
    if (disabled && auth.userId === userId) {
      throw new PylonError('FORBIDDEN', { message: 'You cannot disable your own account' });
    }
    const now = services.clock.now();
    const revoked = await services.storage.db.transaction().execute(async (trx) => {
      const user = await identity.users.findById(userId, trx);
      if (!user) throw new PylonError('NOT_FOUND', { message: 'No such user' });
      // Already so (a second click, a retried call): nothing to change, and nothing to audit.
      if ((user.disabledAt !== null) === disabled) return 0;
      if (!(await identity.users.setDisabled(trx, userId, disabled ? now : null))) {
        throw new PylonError('NOT_FOUND', { message: 'No such user' });
      }
      const count = disabled ? await identity.sessions.revokeAll(userId, {}, trx) : 0;
      // Everything else that lets the person in ends too, for good: an enable brings none of it back.
      const revokedAccess: Record<string, number> = {};
      if (disabled) {
        for (const revoker of [...identity.accessRevokers, ...identity.disableRevokers])
          revokedAccess[`revoked_${revoker.name}`] = await revoker.drop(trx, userId);
      }
      await appendAudit(trx, now, {
        org: DEPLOYMENT_AUDIT,
        action: disabled ? 'user.disabled' : 'user.enabled',
        actor:
          auth.isAdmin || auth.userId === null
            ? 'admin'
            : { type: 'user', id: auth.userId, email: auth.email },
        target: userId,
        detail: disabled ? { revoked_sessions: count, ...revokedAccess } : null,
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
      schema: SetUserDisabledResponse,
    },
    401: { description: 'UNAUTHORIZED: signed out' },
    403: { description: 'FORBIDDEN: not a deployment admin, or disabling yourself' },
    404: { description: 'NOT_FOUND' },
  };
  return [
    defineRoute({
      method: 'get',
      path: '/users',
      summary: 'List and search users, oldest first (deployment admins: the admin token or pylon-admin)',
      tags: ['admin'],
      security: ['adminToken', 'session', 'sessionCookie'],
      query: UserListQuery,
      responses: {
        200: {
          description: 'A page of users; `next_cursor` when more follow',
          schema: UserPage,
        },
        400: { description: 'VALIDATION_FAILED (limit 1–200, or a cursor this server did not give out)' },
        401: { description: 'UNAUTHORIZED: signed out' },
        403: { description: 'FORBIDDEN: not a deployment admin' },
      },
      handler: async (c, { query }) => {
        await requireDeploymentAdmin(admins, await getAuth(c, services), 'list users');
        const limit = query.limit ?? LIST_LIMIT_DEFAULT;
        // One row beyond the page tells whether another page follows.
        const rows = await identity.users.list({
          limit: limit + 1,
          ...(query.q === undefined ? {} : { emailContains: query.q }),
          ...(query.cursor === undefined ? {} : { after: decodeCursor(query.cursor) }),
        });
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        return c.json({
          users: page.map((user) => ({
            user_id: user.id,
            email: user.email,
            email_verified: user.emailVerifiedAt !== null,
            display_name: user.displayName,
            created_at: Math.floor(user.createdAt / 1000),
            disabled: user.disabledAt !== null,
          })),
          ...(rows.length > limit && last ? { next_cursor: encodeCursor(last) } : {}),
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/users/:id/sessions',
      summary: "A user's live sessions (deployment admins)",
      tags: ['admin'],
      security: ['adminToken', 'session', 'sessionCookie'],
      responses: {
        200: {
          description: 'Sessions, newest first, as GET /sessions lists the caller’s',
          schema: SessionList,
        },
        401: { description: 'UNAUTHORIZED: signed out' },
        403: { description: 'FORBIDDEN: not a deployment admin' },
        404: { description: 'NOT_FOUND: no such user' },
      },
      handler: async (c) => {
        const auth = await requireDeploymentAdmin(
          admins,
          await getAuth(c, services),
          "see a user's sessions",
        );
        const userId = c.req.param('id') ?? '';
        // An id no account has is not a user without sessions.
        if (!(await identity.users.findById(userId)))
          throw new PylonError('NOT_FOUND', { message: 'No such user' });
        const sessions = await identity.sessions.listForUser(userId, services.clock.now());
        return c.json(sessions.map((s) => sessionSummary(s, auth.sessionId)));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/users/:id/disable',
      summary: 'Disable a user and revoke all their sessions at once (deployment admins)',
      tags: ['admin'],
      security: ['adminToken', 'session', 'sessionCookie'],
      responses,
      handler: (c) => setDisabled(c, true),
    }),
    defineRoute({
      method: 'post',
      path: '/users/:id/enable',
      summary: 'Re-enable a disabled user (deployment admins)',
      tags: ['admin'],
      security: ['adminToken', 'session', 'sessionCookie'],
      responses,
      handler: (c) => setDisabled(c, false),
    }),
  ];
}
