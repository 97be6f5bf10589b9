import { PylonError } from '@pylon/core';
import {
  PasswordResetCompleteRequest,
  PasswordResetCompleteResponse,
  PasswordResetRequest,
  PasswordResetRequestResponse,
} from '@pylon/core/wire';
import { handChecked } from '../../http/hand-checked.js';
import { defineRoute } from '../../http/route-table.js';
import { renderPasswordResetEmail } from '../../mail/index.js';
import { requireCaptcha } from '../captcha/captcha.js';
import { refuseBreachedPassword } from './breached-passwords.js';
import { type Identity, limitSignInsByIP, requireEmail } from './identity.js';
import { throttleCodeSends } from './one-time-code.js';
import { replacePassword, requireStrongPassword } from './password-policy.js';
import { clientIP, requestFacts } from './route-helpers.js';

const RESET_TTL_SECONDS = 30 * 60;

export function resetRoutes(identity: Identity) {
  const { services } = identity;
  return [
    defineRoute({
      method: 'post',
      path: '/password/reset/request',
      summary: 'Email a single-use password reset token (same answer whether or not the account exists)',
      tags: ['identity'],
      body: handChecked(PasswordResetRequest, ['email']),
      responses: {
        200: { description: 'Accepted', schema: PasswordResetRequestResponse },
        400: { description: 'MISSING_EMAIL, INVALID_EMAIL, CAPTCHA_REQUIRED or CAPTCHA_FAILED' },
        429: { description: 'RATE_LIMITED: the code-send throttle per email, the sign-in throttle per IP' },
      },
      handler: async (c, { body }) => {
        const email = requireEmail(body.email);
        const now = services.clock.now();
        const ip = clientIP(c, services);
        await limitSignInsByIP(identity, ip, now);
        await requireCaptcha(services, body.captchaToken, { ip, requestId: c.get('requestId') });
        await throttleCodeSends(identity, email, now);
        const user = await identity.users.findByEmail(email);
        if (user && user.disabledAt === null) {
          const token = await identity.codes.issueToken({
            purpose: 'password_reset',
            email,
            now,
            ttlSeconds: RESET_TTL_SECONDS,
          });
          // Not awaited: the answer must not take longer for an account that exists. A failed
          // send is logged; the person can ask again.
          services.background.run(
            services.mailer
              .send({ to: email, ...renderPasswordResetEmail({ code: token }) })
              .catch((error: unknown) =>
                services.logger.error(
                  { requestId: c.get('requestId'), reason: error instanceof Error ? error.name : 'unknown' },
                  'password reset email failed',
                ),
              ),
          );
        }
        return c.json({ sent: true as const, email });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/password/reset/complete',
      summary: 'Set a new password with a reset token; signs out every session of the account',
      tags: ['identity'],
      body: handChecked(PasswordResetCompleteRequest, ['token', 'newPassword']),
      responses: {
        200: {
          description: 'Reset',
          schema: PasswordResetCompleteResponse,
        },
        400: { description: 'WEAK_PASSWORD or PWNED_PASSWORD' },
        401: { description: 'INVALID_TOKEN: unknown, expired or used' },
      },
      handler: async (c, { body }) => {
        const now = services.clock.now();
        await limitSignInsByIP(identity, clientIP(c, services), now);
        const newPassword = requireStrongPassword(body.newPassword, 'newPassword');
        // Before the token is spent: a refused password leaves the emailed link usable.
        await refuseBreachedPassword(services, newPassword, c.get('requestId'));
        const invalid = () => new PylonError('INVALID_TOKEN');
        if (typeof body.token !== 'string' || body.token.length < 20 || body.token.length > 200)
          throw invalid();
        const email = await identity.codes.consumeToken('password_reset', body.token, now);
        const user = email === null ? null : await identity.users.findByEmail(email);
        if (!user || user.disabledAt !== null) throw invalid();
        const hash = await identity.hasher.hash(newPassword);
        const revoked = await replacePassword(identity, await requestFacts(c, services), {
          userId: user.id,
          hash,
          action: 'password.reset',
          verifyEmail: true,
        });
        return c.json({ reset: true as const, revoked_count: revoked });
      },
    }),
  ];
}
