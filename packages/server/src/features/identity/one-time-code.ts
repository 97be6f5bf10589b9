import { PylonError } from '@pylon/core';
import { MailDeliveryError } from '../../mail/index.js';
import type { CodePurpose } from '../../storage/schema.js';
import { generateNumericCode } from './code-store.js';
import { type Identity, rateLimited } from './identity.js';
import type { RequestFacts } from './sign-in.js';

const CODE_TTL_SECONDS = 10 * 60;

/** One code or link a minute and ten an hour per email, shared by every purpose. */
export async function throttleCodeSends(identity: Identity, email: string, now: number): Promise<void> {
  for (const rule of identity.limits.codeSends) {
    const decision = await identity.limiter.hit(rule, email, now);
    if (!decision.allowed) {
      throw rateLimited(
        decision.retryAfterSeconds,
        `Wait ${decision.retryAfterSeconds} s before asking for another code`,
      );
    }
  }
}

/**
 * Throttle, issue and email a one-time code (magic sign-in, email verification). The send
 * throttle is per email and shared by every purpose (one a minute, ten an hour).
 * Not held in a transaction across the network (SQLite has one writer): a failed send withdraws
 * the code instead, so nothing usable is left behind.
 */
export async function sendCode(
  identity: Identity,
  facts: Pick<RequestFacts, 'requestId'>,
  purpose: CodePurpose,
  email: string,
  render: (code: string) => { subject: string; text: string; html: string },
): Promise<string> {
  const { services } = identity;
  const now = services.clock.now();
  await throttleCodeSends(identity, email, now);
  const code = generateNumericCode(services.random);
  await identity.codes.issue({
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
        requestId: facts.requestId,
        reason: error instanceof MailDeliveryError ? error.message : String(error),
      },
      `${purpose} code send failed`,
    );
    throw new PylonError('EMAIL_SEND_FAILED', { message: 'The code could not be sent; try again' });
  }
  return code;
}

/**
 * Check an emailed code for a purpose and email, mapping the store's verdict to the wire:
 * MISSING_CODE, INVALID_CODE (wrong, expired, used — one answer) or RATE_LIMITED once burned.
 * `email` null (an account without one) answers like a wrong code.
 */
export async function requireValidCode(
  identity: Identity,
  purpose: CodePurpose,
  email: string | null,
  rawCode: unknown,
  now: number,
): Promise<void> {
  if (typeof rawCode !== 'string' || rawCode.trim() === '') {
    throw new PylonError('MISSING_CODE');
  }
  if (email !== null) {
    const decision = await identity.limiter.hit(identity.limits.codeVerifications, email, now);
    if (!decision.allowed) {
      throw rateLimited(decision.retryAfterSeconds, 'Too many code checks for this email: wait');
    }
  }
  const outcome =
    email === null ? 'invalid' : await identity.codes.consume(purpose, email, rawCode.trim(), now);
  if (outcome === 'burned') throw rateLimited(60, 'Too many wrong codes: request a new one');
  if (outcome !== 'ok') throw new PylonError('INVALID_CODE');
}
