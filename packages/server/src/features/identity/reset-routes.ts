import {
  PasswordResetCompleteRequest,
  PasswordResetCompleteResponse,
  PasswordResetRequest,
  PasswordResetRequestResponse,
} from '@pylon/core/wire';
import { handChecked } from '../../http/hand-checked.js';
import { defineRoute } from '../../http/route-table.js';
import type { Identity } from './identity.js';
import { completePasswordReset, requestPasswordReset } from './password-reset.js';
import { requestFacts } from './route-helpers.js';

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
        const email = await requestPasswordReset(identity, await requestFacts(c, services), body);
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
        const revoked = await completePasswordReset(identity, await requestFacts(c, services), body);
        return c.json({ reset: true as const, revoked_count: revoked });
      },
    }),
  ];
}
