import { PylonError } from '@pylon/core';
import { renderEmailVerificationEmail } from '../../mail/index.js';
import { type Identity, proveEmail } from './identity.js';
import { requireValidCode, sendCode } from './one-time-code.js';
import type { RequestFacts } from './sign-in.js';

/**
 * Email a code that verifies a signed-in person's address (the magic-code throttle applies).
 * Returns the code, which only development mode shows. Shared by `POST /email/send-verification`
 * and the hosted `/verify-email` page.
 */
export async function sendVerificationCode(
  identity: Identity,
  facts: Pick<RequestFacts, 'requestId'>,
  email: string | null,
): Promise<string> {
  if (email === null)
    throw new PylonError('MISSING_EMAIL', { message: 'This account has no email to verify' });
  const brand = identity.services.config.brand;
  return sendCode(
    identity,
    { requestId: facts.requestId },
    'verify_email',
    email,
    (value, expiresInMinutes) => renderEmailVerificationEmail({ code: value, expiresInMinutes, brand }),
  );
}

/** Whether a verification code sent to this address is still waiting to be entered. */
export function verificationCodePending(identity: Identity, email: string | null): Promise<boolean> {
  if (email === null) return Promise.resolve(false);
  return identity.codes.isLive('verify_email', email, identity.services.clock.now());
}

/**
 * After a hosted sign-up, email the first verification code unasked, as sign-up forms do. A code
 * that cannot go now (the per-address throttle, the mail server) is not the sign-up's failure:
 * it is logged, and the verification page offers to send one.
 */
export async function sendFirstVerificationCode(
  identity: Identity,
  facts: Pick<RequestFacts, 'requestId'>,
  email: string,
): Promise<void> {
  try {
    await sendVerificationCode(identity, facts, email);
  } catch (error) {
    identity.services.logger.warn(
      { requestId: facts.requestId, code: error instanceof PylonError ? error.code : 'INTERNAL' },
      'first verification code not sent after sign-up',
    );
  }
}

/** Redeem the emailed code: the address is proven, in one transaction with its audit entry. */
export async function verifyEmailWithCode(
  identity: Identity,
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
  input: { userId: string; sessionId: string; email: string | null; code?: unknown },
): Promise<number> {
  const { services } = identity;
  const now = services.clock.now();
  await requireValidCode(identity, 'verify_email', input.email, input.code, now);
  await services.storage.db.transaction().execute((trx) =>
    proveEmail(trx, identity, {
      userId: input.userId,
      now,
      method: 'email_verification',
      proverSessionId: input.sessionId,
      ip: facts.ip,
      requestId: facts.requestId,
    }),
  );
  const user = await identity.users.findById(input.userId);
  return user?.emailVerifiedAt ?? now;
}
