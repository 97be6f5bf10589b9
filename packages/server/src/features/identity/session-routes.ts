import { PylonError } from '@pylon/core';
import {
  MeResponse,
  MintSessionRequest,
  RevokeSessionResponse,
  RevokeSessionsResponse,
  SessionList,
  SignInResponse,
} from '@pylon/core/wire';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import { thenNow } from '../../awaitable.js';
import { getAuth } from '../../http/get-auth.js';
import { defineRoute } from '../../http/route-table.js';
import type { DeploymentAdmins } from '../rbac/deployment-admin.js';
import { type Identity, sessionTTLSeconds } from './identity.js';
import { answerSignIn, clientIP, requestFacts, requireSession } from './route-helpers.js';
import { revokeSession } from './session-actions.js';
import { clearSessionCookie, setSessionCookie } from './session-cookie.js';
import type { SessionRecord } from './session-store.js';
import { signIn } from './sign-in.js';

export function sessionRoutes(identity: Identity, admins: DeploymentAdmins) {
  const { services } = identity;
  const audit = (
    c: Parameters<typeof clientIP>[0],
    action: string,
    actor: string,
    detail: Record<string, unknown>,
  ) =>
    appendAudit(services.storage.db, services.clock.now(), {
      org: DEPLOYMENT_AUDIT,
      action,
      actor,
      target: actor,
      detail,
      ip: clientIP(c, services),
      requestId: c.get('requestId'),
    });

  return [
    defineRoute({
      method: 'get',
      path: '/me',
      summary: 'The caller (userId null when anonymous — 200, not 401)',
      tags: ['identity'],
      security: ['session', 'sessionCookie', 'adminToken'],
      anonymous: 'served',
      responses: { 200: { description: 'The AuthContext', schema: MeResponse } },
      // Every step answers at once when it can (awaitable.ts): on SQLite the hot path has no promise.
      answer: (request) =>
        thenNow(request.auth(), (auth) =>
          thenNow(admins.standing(auth), (standing) => {
            // One answer with `GET /whoami` (see rbac/deployment-admin.ts). Without an active org a
            // session acts in the default org (as the RBAC root does), so its role there is reported.
            const noActiveOrg = auth.tenantId === null && auth.roles.length === 0;
            return {
              userId: auth.userId,
              email: auth.email,
              emailVerified: auth.emailVerified,
              isAdmin: standing.isAdmin,
              isGuest: auth.isGuest,
              roles: noActiveOrg && standing.defaultOrgRole !== null ? [standing.defaultOrgRole] : auth.roles,
              tenantId: auth.tenantId,
              authMethod: auth.authMethod,
            };
          }),
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/refresh',
      summary: 'Rotate the session token: a new token, the old one dead at once',
      tags: ['sessions'],
      security: ['session', 'sessionCookie'],
      anonymous: 'SESSION_EXPIRED',
      responses: {
        200: { description: 'The new session', schema: SignInResponse },
        401: { description: 'SESSION_EXPIRED' },
      },
      handler: async (c) => {
        const auth = await getAuth(c, services);
        if (auth.authMethod !== 'session' || !auth.sessionId || !auth.userId) {
          throw new PylonError('SESSION_EXPIRED');
        }
        const rotated = await identity.sessions.rotate(auth.userId, auth.sessionId, services.clock.now(), {
          ttlSeconds: (kind) => sessionTTLSeconds(services.config, kind),
          device: c.req.header('user-agent') ?? null,
          ip: clientIP(c, services),
        });
        if (!rotated) {
          throw new PylonError('SESSION_EXPIRED');
        }
        setSessionCookie(c, services.config, rotated.token, rotated.session.expiresAt);
        return c.json({
          token: rotated.token,
          user_id: auth.userId,
          expires_at: Math.floor(rotated.session.expiresAt / 1000),
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/sessions',
      summary: "The caller's live sessions",
      tags: ['sessions'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: {
          description: 'Sessions, newest first',
          schema: SessionList,
        },
        401: { description: 'UNAUTHORIZED' },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        const sessions = await identity.sessions.listForUser(auth.userId, services.clock.now());
        return c.json(sessions.map((s) => sessionSummary(s, auth.sessionId)));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/sessions',
      summary: "Revoke all the caller's sessions",
      tags: ['sessions'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'Revoked', schema: RevokeSessionsResponse },
        401: { description: 'UNAUTHORIZED' },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        const count = await identity.sessions.revokeAll(auth.userId);
        await audit(c, 'session.revoked', auth.userId, { scope: 'all', count });
        clearSessionCookie(c, services.config);
        return c.json({ revoked_count: count });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/session',
      summary: 'Sign out: revoke the current session',
      tags: ['sessions'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'Signed out', schema: RevokeSessionResponse },
        401: { description: 'UNAUTHORIZED' },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        await identity.sessions.revoke(auth.userId, auth.sessionId);
        await audit(c, 'auth.sign_out', auth.userId, { session_id: auth.sessionId });
        clearSessionCookie(c, services.config);
        return c.json({ revoked: true as const });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/sessions/:id',
      summary: "Revoke one of the caller's sessions",
      tags: ['sessions'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'Revoked', schema: RevokeSessionResponse },
        401: { description: 'UNAUTHORIZED' },
        404: { description: "SESSION_NOT_FOUND (also for another user's session)" },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        const id = c.req.param('id') ?? '';
        await revokeSession(
          identity,
          { ip: clientIP(c, services), requestId: c.get('requestId') },
          { userId: auth.userId, sessionId: id },
        );
        return c.json({ revoked: true as const });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/session',
      summary: 'Mint a session for a user (admin token, or development mode)',
      tags: ['sessions'],
      security: ['adminToken'],
      // Development mode mints for anyone; elsewhere the handler's 403 FORBIDDEN.
      anonymous: 'served',
      body: MintSessionRequest,
      responses: {
        200: { description: 'A session for that user', schema: SignInResponse },
        403: { description: 'FORBIDDEN' },
        404: { description: 'NOT_FOUND: no such user' },
      },
      handler: async (c, { body }) => {
        const auth = await getAuth(c, services);
        if (!auth.isAdmin && services.config.env !== 'development') {
          throw new PylonError('FORBIDDEN', { message: 'Only the admin token may mint sessions' });
        }
        const user = await identity.users.findById(body.user_id);
        if (!user || user.disabledAt !== null) throw new PylonError('NOT_FOUND', { message: 'No such user' });
        const outcome = await signIn(identity, await requestFacts(c, services), {
          method: 'admin_minted',
          kind: 'admin-minted',
          skipSecondFactor: true,
          prepare: async () => user.id,
        });
        return c.json(answerSignIn(c, services, outcome));
      },
    }),
  ];
}

/** A session as `GET /sessions` (and the admin's `GET /users/:id/sessions`) lists it: seconds on the wire. */
export function sessionSummary(s: SessionRecord, callerSessionId: string | undefined) {
  const seconds = (ms: number) => Math.floor(ms / 1000);
  return {
    id: s.id,
    token_prefix: s.tokenPrefix,
    kind: s.kind,
    device: s.device,
    ip: s.ip,
    created_at: seconds(s.createdAt),
    last_seen_at: seconds(s.lastSeenAt),
    expires_at: seconds(s.expiresAt),
    current: s.id === callerSessionId,
  };
}
