import { PylonError } from '@pylon/core';
import { GuestResponse, GuestUpgradeRequest, GuestUpgradeResponse } from '@pylon/core/wire';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import { getAuth } from '../../http/get-auth.js';
import { handChecked } from '../../http/hand-checked.js';
import { defineRoute } from '../../http/route-table.js';
import { ipBucket } from '../../rate-limit/ip-bucket.js';
import { type Identity, rateLimited, requireEmail } from './identity.js';
import { answerSignIn, clientIP, requestFacts } from './route-helpers.js';
import { signIn } from './sign-in.js';
import { EmailTakenError } from './user-store.js';

export function guestRoutes(identity: Identity) {
  const { services } = identity;
  return [
    defineRoute({
      method: 'post',
      path: '/guest',
      summary: 'Start a guest session: a `guest_…` user with a stable id for the life of the session',
      tags: ['identity'],
      responses: {
        201: {
          description: 'A guest session',
          schema: GuestResponse,
        },
        429: { description: 'RATE_LIMITED: 10 guest sessions a minute per address' },
      },
      handler: async (c) => {
        const now = services.clock.now();
        const decision = await identity.limiter.hit(
          identity.limits.guestsPerIP,
          ipBucket(clientIP(c, services)),
          now,
        );
        if (!decision.allowed) {
          throw rateLimited(
            decision.retryAfterSeconds,
            'Too many guest sessions from this address: wait a minute',
          );
        }
        const outcome = await signIn(identity, await requestFacts(c, services), {
          method: 'guest',
          kind: 'guest',
          prepare: async (trx, at) => (await identity.users.create(trx, at, { email: null, guest: true })).id,
        });
        return c.json({ ...answerSignIn(c, services, outcome), guest: true as const }, 201);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/upgrade',
      summary: 'Turn a guest into a real user with an email, keeping its id (admin token or development)',
      tags: ['identity'],
      security: ['adminToken'],
      // Development mode upgrades for anyone; elsewhere the handler's 403 FORBIDDEN.
      anonymous: 'served',
      body: handChecked(GuestUpgradeRequest, ['email']),
      responses: {
        200: {
          description: 'Upgraded',
          schema: GuestUpgradeResponse,
        },
        400: { description: 'MISSING_EMAIL or INVALID_EMAIL' },
        403: { description: 'FORBIDDEN' },
        409: { description: 'NOT_A_GUEST or EMAIL_TAKEN' },
      },
      handler: async (c, { body }) => {
        const auth = await getAuth(c, services);
        if (!auth.isAdmin && services.config.env !== 'development') {
          throw new PylonError('FORBIDDEN', { message: 'Only the admin token may upgrade guests' });
        }
        const email = requireEmail(body.email);
        const now = services.clock.now();
        try {
          await services.storage.db.transaction().execute(async (trx) => {
            if (!(await identity.users.upgradeGuest(trx, body.user_id, email))) {
              throw new PylonError('NOT_A_GUEST');
            }
            await appendAudit(trx, now, {
              org: DEPLOYMENT_AUDIT,
              action: 'guest.upgraded',
              actor: auth.isAdmin ? 'admin' : (auth.userId ?? 'anonymous'),
              target: body.user_id,
              requestId: c.get('requestId'),
            });
          });
        } catch (error) {
          if (error instanceof EmailTakenError)
            throw new PylonError('EMAIL_TAKEN', { message: 'Another account has this email' });
          throw error;
        }
        return c.json({ user_id: body.user_id, email, guest: false as const });
      },
    }),
  ];
}
