import { PylonError } from '@pylon/core';
import { EmailVerifyRequest, EmailVerifyResponse, SendVerificationResponse } from '@pylon/core/wire';
import { handChecked } from '../../http/hand-checked.js';
import { defineRoute } from '../../http/route-table.js';
import { renderEmailVerificationEmail } from '../../mail/index.js';
import { type Identity, proveEmail } from './identity.js';
import { requireValidCode, sendCode } from './one-time-code.js';
import { clientIP, requireSession } from './route-helpers.js';

export function verificationRoutes(identity: Identity) {
  const { services } = identity;
  return [
    defineRoute({
      method: 'post',
      path: '/email/send-verification',
      summary: "Email a code that verifies the caller's address",
      tags: ['identity'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: {
          description: 'Sent',
          schema: SendVerificationResponse,
        },
        401: { description: 'UNAUTHORIZED' },
        429: { description: 'RATE_LIMITED: the same throttle as magic codes' },
        500: { description: 'EMAIL_SEND_FAILED' },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        if (auth.email === null)
          throw new PylonError('MISSING_EMAIL', { message: 'This account has no email to verify' });
        const code = await sendCode(
          identity,
          { requestId: c.get('requestId') },
          'verify_email',
          auth.email,
          (value) => renderEmailVerificationEmail({ code: value }),
        );
        return c.json({
          sent: true as const,
          email: auth.email,
          ...(services.config.env === 'development' ? { dev_code: code } : {}),
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/email/verify',
      summary: "Verify the caller's email with the emailed code",
      tags: ['identity'],
      security: ['session', 'sessionCookie'],
      body: handChecked(EmailVerifyRequest, ['code']),
      responses: {
        200: {
          description: 'Verified',
          schema: EmailVerifyResponse,
        },
        400: { description: 'MISSING_CODE' },
        401: { description: 'UNAUTHORIZED or INVALID_CODE' },
        429: { description: 'RATE_LIMITED: five wrong attempts burned the code' },
      },
      handler: async (c, { body }) => {
        const auth = await requireSession(c, services);
        const now = services.clock.now();
        await requireValidCode(identity, 'verify_email', auth.email, body.code, now);
        await services.storage.db.transaction().execute((trx) =>
          proveEmail(trx, identity, {
            userId: auth.userId,
            now,
            method: 'email_verification',
            proverSessionId: auth.sessionId,
            ip: clientIP(c, services),
            requestId: c.get('requestId'),
          }),
        );
        const user = await identity.users.findById(auth.userId);
        return c.json({
          verified: true as const,
          emailVerified: Math.floor((user?.emailVerifiedAt ?? now) / 1000),
        });
      },
    }),
  ];
}
