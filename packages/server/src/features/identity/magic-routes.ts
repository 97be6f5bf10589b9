import { isValidEmail, normalizeEmail, PylonError } from '@pylon/core';
import { z } from 'zod';
import { appendAudit } from '../../audit/audit-log.js';
import type { AppContext } from '../../http/context.js';
import { defineRoute } from '../../http/route-table.js';
import { MailDeliveryError, renderMagicCodeEmail } from '../../mail/index.js';
import type { DB } from '../../storage/database.js';
import type { CodePurpose } from '../../storage/schema.js';
import { generateNumericCode } from './code-store.js';
import { type Identity, rateLimited, signIn } from './identity.js';
import { signInResponse } from './schemas.js';

const CODE_TTL_SECONDS = 10 * 60;
const SEND_RULES = [
  { name: 'code_send_minute', limit: 1, windowSeconds: 60 },
  { name: 'code_send_hour', limit: 10, windowSeconds: 3600 },
];

/** Email checks shared by every route that takes one: MISSING_EMAIL, then INVALID_EMAIL. */
export function requireEmail(raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '')
    throw new PylonError(400, 'MISSING_EMAIL', 'email is required');
  if (!isValidEmail(raw)) throw new PylonError(400, 'INVALID_EMAIL', 'email is not a valid address');
  return normalizeEmail(raw);
}

/**
 * Throttle, issue and email a one-time code (magic sign-in, email verification). The send
 * throttle is per email and shared by every purpose (CONTRACT §1: one a minute, ten an hour).
 * Not held in a transaction across the network (SQLite has one writer): a failed send withdraws
 * the code instead, so nothing usable is left behind.
 */
export async function sendCode(
  c: AppContext,
  identity: Identity,
  purpose: CodePurpose,
  email: string,
  render: (code: string) => { subject: string; text: string; html: string },
): Promise<string> {
  const { services } = identity;
  const now = services.clock.now();
  for (const rule of SEND_RULES) {
    const decision = await identity.limiter.hit(rule, email, now);
    if (!decision.allowed) {
      throw rateLimited(
        decision.retryAfterSeconds,
        `Wait ${decision.retryAfterSeconds} s before asking for another code`,
      );
    }
  }
  const code = generateNumericCode(services.random);
  await identity.codes.issue(services.storage.db, {
    purpose,
    email,
    code,
    now,
    ttlSeconds: CODE_TTL_SECONDS,
  });
  try {
    await services.mailer.send({ to: email, ...render(code) });
  } catch (error) {
    await identity.codes.withdraw(purpose, email, services.clock.now());
    services.logger.error(
      {
        requestId: c.get('requestId'),
        reason: error instanceof MailDeliveryError ? error.message : String(error),
      },
      `${purpose} code send failed`,
    );
    throw new PylonError(500, 'EMAIL_SEND_FAILED', 'The code could not be sent; try again');
  }
  return code;
}

const sendBody = z.object({ email: z.unknown().optional() });
const verifyBody = z.object({ email: z.unknown().optional(), code: z.unknown().optional() });

export function magicRoutes(identity: Identity) {
  const { services } = identity;
  return [
    defineRoute({
      method: 'post',
      path: '/magic/send',
      summary: 'Email a 6-digit sign-in code (same answer whether or not the account exists)',
      tags: ['identity'],
      body: sendBody,
      responses: {
        200: {
          description: 'Sent',
          schema: z.object({ sent: z.literal(true), email: z.string(), dev_code: z.string().optional() }),
        },
        400: { description: 'MISSING_EMAIL or INVALID_EMAIL' },
        429: { description: 'RATE_LIMITED: one code a minute and ten an hour per email' },
        500: { description: 'EMAIL_SEND_FAILED; no code was stored' },
      },
      handler: async (c, { body }) => {
        const email = requireEmail(body.email);
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
      body: verifyBody,
      responses: {
        200: { description: 'Signed in', schema: signInResponse },
        400: { description: 'MISSING_EMAIL, INVALID_EMAIL or MISSING_CODE' },
        401: { description: 'INVALID_CODE: wrong, expired or used' },
        429: { description: 'RATE_LIMITED: five wrong attempts burned the code' },
      },
      handler: async (c, { body }) => {
        const email = requireEmail(body.email);
        if (typeof body.code !== 'string' || body.code.trim() === '')
          throw new PylonError(400, 'MISSING_CODE', 'code is required');
        const now = services.clock.now();
        const outcome = await identity.codes.consume('magic', email, body.code.trim(), now);
        if (outcome === 'burned') throw rateLimited(60, 'Too many wrong codes: request a new one');
        if (outcome !== 'ok')
          throw new PylonError(401, 'INVALID_CODE', 'The code is wrong, expired or already used');
        const result = await signIn(c, identity, {
          method: 'magic_code',
          prepare: async (trx, at) => {
            const existing = await identity.users.findByEmail(email, trx);
            if (existing) {
              await identity.users.markEmailVerified(trx, existing.id, at);
              return existing.id;
            }
            const user = await identity.users.create(trx, at, { email, verified: true });
            await auditUserCreated(identity, trx, at, user.id, 'magic_code', c.get('requestId'));
            return user.id;
          },
        });
        return c.json(result);
      },
    }),
  ];
}

export async function auditUserCreated(
  identity: Identity,
  trx: DB,
  now: number,
  userId: string,
  method: string,
  requestId: string,
): Promise<void> {
  await appendAudit(trx, now, {
    org: identity.services.config.orgId,
    action: 'user.created',
    actor: userId,
    target: userId,
    detail: { method },
    requestId,
  });
}
