import {
  PasswordChangeRequest,
  PasswordChangeResponse,
  PasswordLoginRequest,
  PasswordRegisterRequest,
  SignInResponse,
} from '@pylon/core/wire';
import { handChecked } from '../../http/hand-checked.js';
import { defineRoute } from '../../http/route-table.js';
import type { Identity } from './identity.js';
import { changePassword } from './password-change.js';
import { passwordRegister, passwordSignIn } from './password-sign-in.js';
import { answerSignIn, requestFacts, requireSession } from './route-helpers.js';

export function passwordRoutes(identity: Identity) {
  const { services } = identity;
  return [
    defineRoute({
      method: 'post',
      path: '/password/register',
      summary: 'Create an account with a password and sign in',
      tags: ['identity'],
      body: handChecked(PasswordRegisterRequest, ['email', 'password']),
      responses: {
        200: { description: 'Registered and signed in', schema: SignInResponse },
        400: {
          description:
            'MISSING_EMAIL, INVALID_EMAIL, WEAK_PASSWORD (10–256 characters), PWNED_PASSWORD, ' +
            'CAPTCHA_REQUIRED or CAPTCHA_FAILED',
        },
        409: { description: 'EMAIL_TAKEN' },
        429: {
          description: 'RATE_LIMITED: registrations per IP (PYLON_RATE_LIMIT_REGISTRATIONS_PER_IP_HOUR)',
        },
      },
      handler: async (c, { body }) => {
        const outcome = await passwordRegister(identity, await requestFacts(c, services), body);
        return c.json(answerSignIn(c, services, outcome));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/password/login',
      summary: 'Sign in with email and password',
      tags: ['identity'],
      body: handChecked(PasswordLoginRequest, ['email', 'password']),
      responses: {
        200: { description: 'Signed in', schema: SignInResponse },
        400: {
          description: 'MISSING_EMAIL, INVALID_EMAIL, or WEAK_PASSWORD for a password over 256 characters',
        },
        401: { description: 'INVALID_CREDENTIALS, for an unknown email and a wrong password alike' },
        429: {
          description:
            'RATE_LIMITED after 5 failures per (IP, account) in 15 minutes or 30 an hour per account',
        },
      },
      handler: async (c, { body }) => {
        const outcome = await passwordSignIn(identity, await requestFacts(c, services), body);
        return c.json(answerSignIn(c, services, outcome));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/password/change',
      summary: "Change the caller's password; signs out their other sessions",
      tags: ['identity'],
      security: ['session'],
      body: handChecked(PasswordChangeRequest, ['newPassword']),
      responses: {
        200: {
          description: 'Changed',
          schema: PasswordChangeResponse,
        },
        400: { description: 'WEAK_PASSWORD or PWNED_PASSWORD' },
        401: { description: 'UNAUTHORIZED or WRONG_PASSWORD' },
      },
      handler: async (c, { body }) => {
        const auth = await requireSession(c, services);
        const revoked = await changePassword(identity, await requestFacts(c, services), {
          userId: auth.userId,
          sessionId: auth.sessionId,
          currentPassword: body.currentPassword,
          newPassword: body.newPassword,
        });
        return c.json({ changed: true as const, revoked_count: revoked });
      },
    }),
  ];
}
