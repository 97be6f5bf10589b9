import { PylonError } from '@pylon/core';
import { mailFailureReason } from '../../mail/index.js';
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

/** How long an emailed code lives: the emails say so from this value. */
export const CODE_TTL_MINUTES = CODE_TTL_SECONDS / 60;

/** An email carrying a code, told how long the code lives so that it never promises more. */
export type RenderCodeEmail = (
  code: string,
  expiresInMinutes: number,
) => {
  subject: string;
  text: string;
  html: string;
};

/** Throttle and store a new code for the purpose and email (superseding a pending one). */
async function issueCode(identity: Identity, purpose: CodePurpose, email: string): Promise<string> {
  const { services } = identity;
  const now = services.clock.now();
  await throttleCodeSends(identity, email, now);
  const code = generateNumericCode(services.random);
  await identity.codes.issue({ purpose, email, code, now, ttlSeconds: CODE_TTL_SECONDS });
  return code;
}

/** Email the code; a failed send withdraws it (nothing usable is left behind) and is logged. */
async function deliverCode(
  identity: Identity,
  facts: Pick<RequestFacts, 'requestId'>,
  purpose: CodePurpose,
  email: string,
  message: ReturnType<RenderCodeEmail>,
): Promise<boolean> {
  const { services } = identity;
  try {
    await services.mailer.send({ to: email, ...message });
    return true;
  } catch (error) {
    // Logged first: the line is written even when the withdrawal fails too.
    services.logger.error(
      { requestId: facts.requestId, reason: mailFailureReason(error) },
      `${purpose} code send failed`,
    );
    await identity.codes.withdraw(purpose, email, services.clock.now());
    return false;
  }
}

/**
 * Throttle, issue and email a one-time code (magic sign-in, email verification). The send
 * throttle is per email and shared by every purpose (one a minute, ten an hour).
 * Not held in a transaction across the network (SQLite has one writer): a failed send withdraws
 * the code instead, so nothing usable is left behind, and answers EMAIL_SEND_FAILED.
 */
export async function sendCode(
  identity: Identity,
  facts: Pick<RequestFacts, 'requestId'>,
  purpose: CodePurpose,
  email: string,
  render: RenderCodeEmail,
): Promise<string> {
  const code = await issueCode(identity, purpose, email);
  if (!(await deliverCode(identity, facts, purpose, email, render(code, CODE_TTL_MINUTES))))
    throw new PylonError('EMAIL_SEND_FAILED', { message: 'The code could not be sent; try again' });
  return code;
}

/**
 * `sendCode` for an answer that must not tell whether the address has an account: the code is
 * issued now and emailed after the answer (`services.background`), so the answer takes no longer
 * for the address that gets mail than for the one that does not. A failed send is logged and
 * withdraws the code; the person asks again.
 */
export async function sendCodeAfterAnswer(
  identity: Identity,
  facts: Pick<RequestFacts, 'requestId'>,
  purpose: CodePurpose,
  email: string,
  render: RenderCodeEmail,
): Promise<string> {
  const code = await issueCode(identity, purpose, email);
  identity.services.background.run(
    deliverCode(identity, facts, purpose, email, render(code, CODE_TTL_MINUTES)),
  );
  return code;
}

/**
 * Throttle and store a code that is never sent: for an answer that must take the same time and
 * the same writes whether or not the address gets mail (an email change to an address another
 * account holds, which could not complete anyway).
 */
export async function issueUnsentCode(
  identity: Identity,
  purpose: CodePurpose,
  email: string,
): Promise<void> {
  await issueCode(identity, purpose, email);
}

/**
 * A code field as text: absent or blank is MISSING_CODE; any other type (a number, which would
 * also lose a leading zero) is VALIDATION_FAILED, saying so. Returns the code without surrounding
 * white space.
 */
export function requireCodeText(raw: unknown): string {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === ''))
    throw new PylonError('MISSING_CODE');
  if (typeof raw !== 'string')
    throw new PylonError('VALIDATION_FAILED', {
      message: `code: expected a string (the code as sent, e.g. "012345"), received ${Array.isArray(raw) ? 'array' : typeof raw}`,
    });
  return raw.trim();
}

/**
 * Check an emailed code for a purpose and email, mapping the store's verdict to the wire:
 * MISSING_CODE (VALIDATION_FAILED for a code not sent as text), INVALID_CODE (wrong, expired,
 * used — one answer) or RATE_LIMITED once burned.
 * `email` null (an account without one) answers like a wrong code.
 */
export async function requireValidCode(
  identity: Identity,
  purpose: CodePurpose,
  email: string | null,
  rawCode: unknown,
  now: number,
): Promise<void> {
  const code = requireCodeText(rawCode);
  if (email !== null) {
    const decision = await identity.limiter.hit(identity.limits.codeVerifications, email, now);
    if (!decision.allowed) {
      throw rateLimited(decision.retryAfterSeconds, 'Too many code checks for this email: wait');
    }
  }
  const outcome = email === null ? 'invalid' : await identity.codes.consume(purpose, email, code, now);
  if (outcome === 'burned') throw rateLimited(60, 'Too many wrong codes: request a new one');
  if (outcome !== 'ok') throw new PylonError('INVALID_CODE');
}
