import { PylonError } from '@pylon/core';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { DB } from '../../storage/database.js';
import { type Identity, rateLimited } from '../identity/identity.js';
import { requireCodeText } from '../identity/one-time-code.js';
import { type RequestFacts, type SignInOutcome, signIn } from '../identity/sign-in.js';

/**
 * Check a second factor for a user, under the same (account) lockout as passwords: failed TOTP
 * attempts count with failed passwords. Each attempt is counted before the code is checked, so
 * codes guessed at once are counted one by one (see `Lockouts.attempt`); a right code clears it.
 */
export async function requireSecondFactor(identity: Identity, userId: string, code: unknown): Promise<void> {
  const { services, mfa } = identity;
  const lockout = identity.limits.passwordLockout;
  const text = requireCodeText(code);
  const now = services.clock.now();
  const locked = await identity.lockouts.attempt(lockout, `totp|${userId}`, now);
  if (locked > 0) throw rateLimited(locked, 'Too many wrong codes: wait, then try again');
  if (!(await mfa.acceptSecondFactor(userId, text, now))) {
    throw new PylonError('INVALID_CODE', { message: 'The code is wrong or was already used' });
  }
  await identity.lockouts.clear(lockout, `totp|${userId}`);
}

/** A device trusted at this challenge: the edge sets its cookie (the token is never shown again). */
export interface NewTrustedDevice {
  token: string;
  /** ms since the epoch */
  expiresAt: number;
}

/**
 * parse → claim an attempt on the challenge → check the code → spend the challenge → session.
 * With `trust_device: true` the same transaction also trusts this browser for 30 days.
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
  if (!challenge) throw new PylonError('INVALID_MFA_TOKEN');
  await requireSecondFactor(identity, challenge.userId, body.code);
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
