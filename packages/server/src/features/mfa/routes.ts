import {
  BackupCodesResponse,
  SignInResponse,
  TOTPCodeRequest,
  TOTPDisableRequest,
  TOTPDisableResponse,
  TOTPEnrollResponse,
  TOTPVerifyResponse,
} from '@pylon/core/wire';
import type { AppContext } from '../../http/context.js';
import { handChecked } from '../../http/hand-checked.js';
import { defineRoute } from '../../http/route-table.js';
import type { Identity } from '../identity/identity.js';
import { answerSignIn, clientIP, requestFacts, requireSession } from '../identity/route-helpers.js';
import { setTrustedDeviceCookie } from '../trusted-devices/cookie.js';
import { completeTOTPChallenge } from './challenge.js';
import { confirmTOTP, disableTOTP, regenerateBackupCodes, startTOTPEnrolment } from './totp-enrolment.js';

const ISSUER = 'Pylon';

export function mfaRoutes(identity: Identity) {
  const { services } = identity;
  const facts = (c: AppContext) => ({ ip: clientIP(c, services), requestId: c.get('requestId') });

  /** Finish a sign-in's TOTP challenge: the session's cookie is set and its body returned. */
  const challenge = async (
    c: AppContext,
    body: { mfa_token?: unknown; code?: unknown; trust_device?: unknown },
  ) => {
    const outcome = await completeTOTPChallenge(identity, await requestFacts(c, services), body);
    if (outcome.trustedDevice)
      setTrustedDeviceCookie(
        c,
        services.config,
        outcome.trustedDevice.token,
        outcome.trustedDevice.expiresAt,
      );
    return answerSignIn(c, services, outcome);
  };

  const challengeBody = handChecked(TOTPCodeRequest, ['mfa_token', 'code']);

  return [
    defineRoute({
      method: 'post',
      path: '/totp/enroll',
      summary: 'Start TOTP enrolment: a new secret, shown once, enabled by the first code',
      tags: ['totp'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: {
          description: 'The secret for an authenticator app',
          schema: TOTPEnrollResponse,
        },
        401: { description: 'UNAUTHORIZED' },
        403: {
          description: 'API_KEY_AUTH_FORBIDDEN; REAUTH_REQUIRED: the sign-in is older than 5 minutes',
        },
        409: { description: 'TOTP_ALREADY_ENABLED' },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        const account = auth.email ?? auth.userId;
        const { secret, url } = await startTOTPEnrolment(identity, {
          userId: auth.userId,
          sessionId: auth.sessionId,
          account,
          issuer: ISSUER,
        });
        return c.json({
          secret,
          url,
          issuer: ISSUER,
          account,
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/totp/verify',
      summary: 'Confirm enrolment with a first code (answers backup codes), or answer a sign-in challenge',
      tags: ['totp'],
      security: ['session', 'sessionCookie'],
      // A sign-in's second step (mfa_token in the body) comes before any session.
      anonymous: 'served',
      body: challengeBody,
      responses: {
        200: {
          description: 'Enabled (with backup codes), verified, or signed in',
          schema: TOTPVerifyResponse,
        },
        400: { description: 'MISSING_CODE or TOTP_NOT_ENROLLED' },
        401: { description: 'INVALID_CODE or INVALID_MFA_TOKEN' },
        429: { description: 'RATE_LIMITED' },
      },
      handler: async (c, { body }) => {
        if (body.mfa_token !== undefined) return c.json(await challenge(c, body));
        const auth = await requireSession(c, services);
        const codes = await confirmTOTP(identity, facts(c), { userId: auth.userId, code: body.code });
        if (codes === null) return c.json({ verified: true as const });
        return c.json({ enabled: true as const, backup_codes: codes });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/totp/challenge',
      summary:
        'Finish a sign-in that answered mfa_required, with a TOTP or backup code (trust_device: true trusts this browser for 30 days)',
      tags: ['totp'],
      body: challengeBody,
      responses: {
        200: { description: 'Signed in', schema: SignInResponse },
        400: { description: 'MISSING_CODE' },
        401: { description: 'INVALID_MFA_TOKEN (unknown, expired, used, five wrong codes) or INVALID_CODE' },
        429: {
          description:
            'RATE_LIMITED: wrong codes locked this (IP, account) pair (the wrong code that locks it answers so too)',
        },
      },
      handler: async (c, { body }) => c.json(await challenge(c, body)),
    }),
    defineRoute({
      method: 'post',
      path: '/totp/disable',
      summary: 'Turn TOTP off (needs a current TOTP or backup code)',
      tags: ['totp'],
      security: ['session', 'sessionCookie'],
      body: handChecked(TOTPDisableRequest, ['code']),
      responses: {
        200: { description: 'Disabled', schema: TOTPDisableResponse },
        400: { description: 'MISSING_CODE or TOTP_NOT_ENROLLED' },
        401: { description: 'INVALID_CODE' },
        429: { description: 'RATE_LIMITED: wrong codes locked this (IP, account) pair' },
      },
      handler: async (c, { body }) => {
        const auth = await requireSession(c, services);
        await disableTOTP(identity, facts(c), { userId: auth.userId, code: body.code });
        return c.json({ disabled: true as const });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/totp/backup-codes/regenerate',
      summary: 'Ten new single-use backup codes (XXXX-XXXX); the old ones stop working',
      tags: ['totp'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'The codes, shown once', schema: BackupCodesResponse },
        400: { description: 'TOTP_NOT_ENROLLED' },
        403: { description: 'REAUTH_REQUIRED: the sign-in is older than 5 minutes' },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        const codes = await regenerateBackupCodes(identity, facts(c), auth);
        return c.json({ codes });
      },
    }),
  ];
}
