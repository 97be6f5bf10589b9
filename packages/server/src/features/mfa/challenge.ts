import { PylonError } from '@pylon/core';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { DB } from '../../storage/database.js';
import { forgiveGuess, guessLockedFor, guessSubject, requireGuessAllowed } from '../identity/guesses.js';
import { type Identity, rateLimited } from '../identity/identity.js';
import { requireCodeText } from '../identity/one-time-code.js';
import { type RequestFacts, type SignInOutcome, signIn } from '../identity/sign-in.js';
import { secondFactorCode } from './mfa-store.js';

/** Where a second factor was asked for: a sign-in, or a signed-in person's change to TOTP itself. */
export type SecondFactorStep = 'sign_in' | 'totp_confirm' | 'totp_disable';

/**
 * Check a TOTP or backup code for a user, as a guess under the second-factor limits (guesses.ts):
 * a lockout per (IP, account), so that someone who knows only the password cannot lock the owner
 * out of their own sign-ins from elsewhere, and an hourly budget per account. A wrong code is
 * audited with the account as target and no code in it: `auth.sign_in_failed` at a sign-in,
 * `totp.code_failed` at a change to TOTP.
 */
export async function requireSecondFactor(
  identity: Identity,
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
  input: { userId: string; code: unknown; during: SecondFactorStep },
): Promise<void> {
  const { services, mfa } = identity;
  const limits = identity.limits.secondFactorGuesses;
  const text = requireCodeText(input.code);
  const now = services.clock.now();
  const subject = guessSubject(facts.ip, input.userId);
  const charged = await requireGuessAllowed(identity, limits, subject, now);
  if (await mfa.acceptSecondFactor(input.userId, text, now)) {
    await forgiveGuess(identity, limits, subject, charged, now, services.storage.db);
    return;
  }
  const signingIn = input.during === 'sign_in';
  await appendAudit(services.storage.db, now, {
    org: DEPLOYMENT_AUDIT,
    action: signingIn ? 'auth.sign_in_failed' : 'totp.code_failed',
    // At a sign-in nobody is signed in yet: the guesser may not be the account's holder.
    actor: signingIn ? { type: 'anonymous' } : { type: 'user', id: input.userId },
    target: { id: input.userId },
    detail: { method: secondFactorCode(text)?.kind ?? 'unrecognised', during: input.during },
    ip: facts.ip,
    requestId: facts.requestId,
  });
  throw new PylonError('INVALID_CODE', { message: 'The code is wrong or was already used' });
}

/**
 * RATE_LIMITED while the second-factor lock of this (IP, account) is on: what a sign-in's second
 * step says once wrong codes locked it, instead of a wrong code or an ended sign-in, since starting
 * again would only meet the lock.
 */
async function refuseWhileLocked(identity: Identity, ip: string | null, userId: string): Promise<void> {
  const now = identity.services.clock.now();
  const limits = identity.limits.secondFactorGuesses;
  const locked = await guessLockedFor(identity, limits, guessSubject(ip, userId), now);
  if (locked > 0) throw rateLimited(locked, 'Too many wrong codes: wait, then sign in again');
}

/** A device trusted at this challenge: the edge sets its cookie (the token is never shown again). */
export interface NewTrustedDevice {
  token: string;
  /** ms since the epoch */
  expiresAt: number;
}

/**
 * parse → claim an attempt on the challenge → check the code → spend the challenge → session.
 * With `trust_device: true` the same transaction also trusts this browser for 30 days. A wrong
 * code that locks this address out, or a challenge its wrong codes spent while the lock lasts,
 * answers RATE_LIMITED with the wait.
 */
export async function completeTOTPChallenge(
  identity: Identity,
  facts: RequestFacts,
  body: { mfa_token?: unknown; code?: unknown; trust_device?: unknown },
): Promise<SignInOutcome & { trustedDevice?: NewTrustedDevice }> {
  const { services, mfa } = identity;
  if (typeof body.mfa_token !== 'string')
    throw new PylonError('INVALID_MFA_TOKEN', { message: 'mfa_token is required' });
  const mfaToken = body.mfa_token;
  const challenge = await mfa.claimChallengeAttempt(mfaToken, services.clock.now());
  if (!challenge) {
    const spentBy = await mfa.spentChallengeUser(mfaToken, services.clock.now());
    if (spentBy !== null) await refuseWhileLocked(identity, facts.ip, spentBy);
    throw new PylonError('INVALID_MFA_TOKEN');
  }
  try {
    await requireSecondFactor(identity, facts, {
      userId: challenge.userId,
      code: body.code,
      during: 'sign_in',
    });
  } catch (error) {
    if (error instanceof PylonError && error.code === 'INVALID_CODE')
      await refuseWhileLocked(identity, facts.ip, challenge.userId);
    throw error;
  }
  let trustedDevice: NewTrustedDevice | undefined;
  const outcome = await signIn(identity, facts, {
    method: `${challenge.method}+totp`,
    kind: challenge.kind,
    skipSecondFactor: true,
    prepare: async (trx, now) => {
      if (!(await mfa.finishChallenge(trx, mfaToken))) {
        throw new PylonError('INVALID_MFA_TOKEN', { message: 'This sign-in was already completed' });
      }
      if (body.trust_device === true)
        trustedDevice = await trustDevice(trx, identity, facts, challenge.userId, now);
      return challenge.userId;
    },
  });
  return trustedDevice === undefined ? outcome : { ...outcome, trustedDevice };
}

async function trustDevice(
  trx: DB,
  identity: Identity,
  facts: RequestFacts,
  userId: string,
  now: number,
): Promise<NewTrustedDevice> {
  const device = await identity.trustedDevices.add(trx, { userId, label: facts.userAgent, now });
  await appendAudit(trx, now, {
    org: DEPLOYMENT_AUDIT,
    action: 'trusted_device.added',
    actor: userId,
    target: userId,
    detail: { device_id: device.id },
    ip: facts.ip,
    requestId: facts.requestId,
  });
  return { token: device.token, expiresAt: device.expiresAt };
}
