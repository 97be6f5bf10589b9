import { PylonError } from '@pylon/core';
import {
  CurrentSessionResponse,
  DeleteAccountRequest,
  DeleteAccountResponse,
  EmailChangeRequest,
  EmailChangeResponse,
  EmailChangeVerifyRequest,
  EmailChangeVerifyResponse,
  LinkedAccountList,
  UnlinkResponse,
} from '@pylon/core/wire';
import { handChecked } from '../../http/hand-checked.js';
import { defineRoute } from '../../http/route-table.js';
import type { Identity } from '../identity/identity.js';
import { requireRecentSignInOrPassword } from '../identity/reauthentication.js';
import { requestFacts, requireSession } from '../identity/route-helpers.js';
import { clearSessionCookie } from '../identity/session-cookie.js';
import type { OrgStore } from '../orgs/org-store.js';
import { deleteAccount } from './account-deletion.js';
import { completeEmailChange, requestEmailChange } from './email-change.js';
import type { EmailChangeStore } from './email-change-store.js';
import { unlinkIdentity } from './linked-accounts.js';

const seconds = (ms: number) => Math.floor(ms / 1000);

export function accountRoutes(identity: Identity, orgs: OrgStore, changes: EmailChangeStore) {
  const { services } = identity;
  return [
    defineRoute({
      method: 'get',
      path: '/session',
      summary: "The caller's session and account",
      tags: ['sessions'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'The session and its user', schema: CurrentSessionResponse },
        401: { description: 'UNAUTHORIZED or SESSION_EXPIRED' },
        403: { description: 'API_KEY_AUTH_FORBIDDEN' },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        const now = services.clock.now();
        const [session, user] = await Promise.all([
          identity.sessions.findLive(auth.userId, auth.sessionId, now),
          identity.users.findById(auth.userId),
        ]);
        if (!session || !user) throw new PylonError('SESSION_EXPIRED');
        return c.json({
          session: {
            id: session.id,
            token_prefix: session.tokenPrefix,
            kind: session.kind,
            device: session.device,
            ip: session.ip,
            active_org: session.activeOrg,
            created_at: seconds(session.createdAt),
            last_seen_at: seconds(session.lastSeenAt),
            expires_at: seconds(session.expiresAt),
            authenticated_at: session.authenticatedAt === null ? null : seconds(session.authenticatedAt),
          },
          user: {
            id: user.id,
            email: user.email,
            emailVerified: user.emailVerifiedAt !== null,
            displayName: user.displayName,
            isGuest: user.isGuest,
            hasPassword: user.passwordHash !== null,
            created_at: seconds(user.createdAt),
          },
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/email/change',
      summary: 'Start an email change: a code goes to the new address',
      tags: ['identity'],
      security: ['session', 'sessionCookie'],
      body: handChecked(EmailChangeRequest, ['newEmail']),
      responses: {
        200: { description: 'Sent (the same answer when the address is taken)', schema: EmailChangeResponse },
        400: { description: 'MISSING_EMAIL, INVALID_EMAIL or EMAIL_UNCHANGED' },
        401: { description: 'UNAUTHORIZED' },
        403: {
          description:
            'FORBIDDEN: a guest has no address to change; REAUTH_REQUIRED: the sign-in is older than 5 minutes',
        },
        429: { description: 'RATE_LIMITED: the shared code-send throttle of the new address' },
      },
      handler: async (c, { body }) => {
        const auth = await requireSession(c, services);
        if (auth.isGuest) throw new PylonError('FORBIDDEN', { message: 'A guest has no address to change' });
        const sent = await requestEmailChange(
          identity,
          changes,
          { requestId: c.get('requestId') },
          {
            userId: auth.userId,
            sessionId: auth.sessionId,
            currentEmail: auth.email,
            newEmail: body.newEmail,
          },
        );
        return c.json({
          sent: true as const,
          newEmail: sent.newEmail,
          ...(services.config.env === 'development' && sent.code !== null ? { dev_code: sent.code } : {}),
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/email/change/verify',
      summary: 'Finish an email change with the code sent to the new address (sessions are kept)',
      tags: ['identity'],
      security: ['session', 'sessionCookie'],
      body: handChecked(EmailChangeVerifyRequest, ['code']),
      responses: {
        200: { description: 'Changed', schema: EmailChangeVerifyResponse },
        400: { description: 'MISSING_CODE' },
        401: { description: 'UNAUTHORIZED or INVALID_CODE (also: no change pending)' },
        409: { description: 'EMAIL_TAKEN: another account took the address meanwhile' },
        429: { description: 'RATE_LIMITED: five wrong attempts burned the code' },
      },
      handler: async (c, { body }) => {
        const auth = await requireSession(c, services);
        const email = await completeEmailChange(identity, changes, await requestFacts(c, services), {
          userId: auth.userId,
          currentEmail: auth.email,
          code: body.code,
        });
        return c.json({ changed: true as const, email });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/account',
      summary: "Delete the caller's account (a sign-in within 5 minutes, or the password)",
      tags: ['identity'],
      security: ['session', 'sessionCookie'],
      body: DeleteAccountRequest,
      responses: {
        200: { description: 'Deleted; every session is gone', schema: DeleteAccountResponse },
        401: { description: 'UNAUTHORIZED' },
        403: {
          description:
            'REAUTH_REQUIRED: a password was sent and is wrong, or none was and the sign-in is older than 5 minutes',
        },
        409: { description: 'LAST_OWNER: the caller is the only owner of an org' },
        429: { description: 'RATE_LIMITED: the password lockout (as for POST /password/login)' },
      },
      handler: async (c, { body }) => {
        const auth = await requireSession(c, services);
        const facts = await requestFacts(c, services);
        await requireRecentSignInOrPassword(identity, facts, {
          userId: auth.userId,
          sessionId: auth.sessionId,
          password: body.password,
          during: 'account_deletion',
        });
        await deleteAccount(identity, orgs, facts, auth.userId);
        clearSessionCookie(c, services.config);
        return c.json({ deleted: true as const });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/linked-accounts',
      summary: 'The outside identities (social providers, SSO) linked to the caller',
      tags: ['identity'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'Linked accounts, oldest first', schema: LinkedAccountList },
        401: { description: 'UNAUTHORIZED' },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        const linked = await identity.users.listIdentities(auth.userId);
        return c.json(
          linked.map((l) => ({
            provider: l.provider,
            subject: l.subject,
            email: l.email,
            created_at: seconds(l.createdAt),
          })),
        );
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/linked-accounts/:provider/:subject',
      summary: 'Unlink an outside identity (never the last way to sign in)',
      tags: ['identity'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'Unlinked', schema: UnlinkResponse },
        401: { description: 'UNAUTHORIZED' },
        404: { description: "LINKED_ACCOUNT_NOT_FOUND (also for another account's identity)" },
        409: {
          description: 'LAST_SIGN_IN_METHOD: no password, verified address or other identity would remain',
        },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        await unlinkIdentity(identity, await requestFacts(c, services), {
          userId: auth.userId,
          provider: c.req.param('provider') ?? '',
          subject: c.req.param('subject') ?? '',
        });
        return c.json({ unlinked: true as const });
      },
    }),
  ];
}
