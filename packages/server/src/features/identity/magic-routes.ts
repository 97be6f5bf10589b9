import { MagicSendRequest, MagicSendResponse, MagicVerifyRequest, SignInResponse } from '@pylon/core/wire';
import type { AppContext } from '../../http/context.js';
import { handChecked } from '../../http/hand-checked.js';
import { defineRoute } from '../../http/route-table.js';
import { renderMagicCodeEmail } from '../../mail/index.js';
import {
  auditUserCreated,
  clientIP,
  type Identity,
  limitSignInsByIP,
  proveEmail,
  requireEmail,
  type SignInOutcome,
  signIn,
} from './identity.js';
import { requireValidCode, sendCode } from './one-time-code.js';

export function magicRoutes(identity: Identity) {
  const { services } = identity;
  return [
    defineRoute({
      method: 'post',
      path: '/magic/send',
      summary: 'Email a 6-digit sign-in code (same answer whether or not the account exists)',
      tags: ['identity'],
      body: handChecked(MagicSendRequest, ['email']),
      responses: {
        200: {
          description: 'Sent',
          schema: MagicSendResponse,
        },
        400: { description: 'MISSING_EMAIL or INVALID_EMAIL' },
        429: { description: 'RATE_LIMITED: one code a minute and ten an hour per email' },
        500: { description: 'EMAIL_SEND_FAILED; no code was stored' },
      },
      handler: async (c, { body }) => {
        const email = requireEmail(body.email);
        await limitSignInsByIP(identity, clientIP(c, services), services.clock.now());
        const code = await sendCode(c, identity, 'magic', email, (value) =>
          renderMagicCodeEmail({ code: value, appName: 'Pylon' }),
        );
        return c.json({
          sent: true as const,
          email,
          ...(services.config.env === 'development' ? { dev_code: code } : {}),
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/magic/verify',
      summary: 'Exchange an emailed code for a session (creates the account if new)',
      tags: ['identity'],
      body: handChecked(MagicVerifyRequest, ['email', 'code']),
      responses: {
        200: { description: 'Signed in', schema: SignInResponse },
        400: { description: 'MISSING_EMAIL, INVALID_EMAIL or MISSING_CODE' },
        401: { description: 'INVALID_CODE: wrong, expired or used' },
        429: { description: 'RATE_LIMITED: five wrong attempts burned the code' },
      },
      handler: async (c, { body }) => {
        const email = requireEmail(body.email);
        await limitSignInsByIP(identity, clientIP(c, services), services.clock.now());
        const result = await magicCodeSignIn(c, identity, email, body.code);
        return c.json(result);
      },
    }),
  ];
}

/**
 * An emailed code → a sign-in (or a TOTP challenge): the account is created on first use and its
 * email marked verified, since receiving the code proves the address. Shared with the login page.
 */
export async function magicCodeSignIn(
  c: AppContext,
  identity: Identity,
  email: string,
  code: unknown,
): Promise<SignInOutcome> {
  await requireValidCode(identity, 'magic', email, code, identity.services.clock.now());
  return signIn(c, identity, {
    method: 'magic_code',
    prepare: async (trx, at) => {
      const existing = await identity.users.findByEmail(email, trx);
      if (existing) {
        // The code proves the address: whoever registered it before its owner keeps nothing.
        await proveEmail(trx, identity, {
          userId: existing.id,
          now: at,
          method: 'magic_code',
          ip: clientIP(c, identity.services),
          requestId: c.get('requestId'),
        });
        return existing.id;
      }
      const user = await identity.users.create(trx, at, { email, verified: true });
      await auditUserCreated(identity, trx, at, user.id, 'magic_code', c.get('requestId'));
      return user.id;
    },
  });
}
