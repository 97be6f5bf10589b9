import { EmailVerifyRequest, EmailVerifyResponse, SendVerificationResponse } from '@pylon/core/wire';
import { handChecked } from '../../http/hand-checked.js';
import { defineRoute } from '../../http/route-table.js';
import { sendVerificationCode, verifyEmailWithCode } from './email-verification.js';
import type { Identity } from './identity.js';
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
        const code = await sendVerificationCode(identity, { requestId: c.get('requestId') }, auth.email);
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
        const verifiedAt = await verifyEmailWithCode(
          identity,
          { ip: clientIP(c, services), requestId: c.get('requestId') },
          { userId: auth.userId, sessionId: auth.sessionId, email: auth.email, code: body.code },
        );
        return c.json({
          verified: true as const,
          emailVerified: Math.floor(verifiedAt / 1000),
        });
      },
    }),
  ];
}
