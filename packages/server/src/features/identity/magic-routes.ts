import { MagicSendRequest, MagicSendResponse, MagicVerifyRequest, SignInResponse } from '@pylon/core/wire';
import { handChecked } from '../../http/hand-checked.js';
import { defineRoute } from '../../http/route-table.js';
import { type Identity, requireEmail } from './identity.js';
import { magicCodeSignIn, sendMagicCode } from './magic-code-sign-in.js';
import { answerSignIn, clientIP, requestFacts } from './route-helpers.js';

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
        400: { description: 'MISSING_EMAIL, INVALID_EMAIL, CAPTCHA_REQUIRED or CAPTCHA_FAILED' },
        429: { description: 'RATE_LIMITED: one code a minute and ten an hour per email' },
        500: { description: 'EMAIL_SEND_FAILED; no code was stored' },
      },
      handler: async (c, { body }) => {
        const sent = await sendMagicCode(
          identity,
          { ip: clientIP(c, services), requestId: c.get('requestId') },
          { email: body.email, captchaToken: body.captchaToken },
        );
        return c.json({
          sent: true as const,
          email: sent.email,
          ...(services.config.env === 'development' ? { dev_code: sent.code } : {}),
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
        const facts = await requestFacts(c, services);
        const outcome = await magicCodeSignIn(identity, facts, { email, code: body.code });
        return c.json(answerSignIn(c, services, outcome));
      },
    }),
  ];
}
