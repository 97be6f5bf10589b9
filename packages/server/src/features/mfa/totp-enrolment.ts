import { PylonError } from '@pylon/core';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { Identity } from '../identity/identity.js';
import { requireRecentSignIn, type SessionCaller } from '../identity/reauthentication.js';
import type { RequestFacts } from '../identity/sign-in.js';
import { requireSecondFactor } from './challenge.js';
import { base32Encode, otpauthURL } from './totp.js';

/**
 * TOTP set-up and removal for a signed-in person, shared by `/api/auth/totp/*` and the hosted
 * `/account/two-factor` page, so both pass the same checks.
 */

type Facts = Pick<RequestFacts, 'ip' | 'requestId'>;

/**
 * A new secret for an authenticator app, shown once; enabled by the first code. Whoever holds it
 * holds the account's second factor: it needs a recent sign-in (reauthentication.ts).
 */
export async function startTOTPEnrolment(
  identity: Identity,
  input: SessionCaller & { account: string; issuer: string },
): Promise<{ secret: string; url: string }> {
  await requireRecentSignIn(identity, input);
  const secret = await identity.mfa.enrol(input.userId, identity.services.clock.now());
  if (!secret) throw new PylonError('TOTP_ALREADY_ENABLED');
  return { secret: base32Encode(secret), url: otpauthURL(secret, input.issuer, input.account) };
}

/**
 * The set-up still waiting for its first code, as `startTOTPEnrolment` showed it, or null: so a
 * mistyped first code asks again for the same key instead of making the person start over.
 */
export async function pendingTOTPEnrolment(
  identity: Identity,
  input: { userId: string; account: string; issuer: string },
): Promise<{ secret: string; url: string } | null> {
  const secret = await identity.mfa.pendingSecret(input.userId);
  return secret === null
    ? null
    : { secret: base32Encode(secret), url: otpauthURL(secret, input.issuer, input.account) };
}

/**
 * The first code enables the factor and answers ten backup codes (audited `totp.enrolled`); with
 * the factor already on, a right code is only verified (`null`).
 */
export async function confirmTOTP(
  identity: Identity,
  facts: Facts,
  input: { userId: string; code?: unknown },
): Promise<string[] | null> {
  const { services, mfa } = identity;
  const factor = await mfa.factor(input.userId);
  if (!factor) throw new PylonError('TOTP_NOT_ENROLLED', { message: 'Enrol first: POST /totp/enroll' });
  await requireSecondFactor(identity, facts, {
    userId: input.userId,
    code: input.code,
    during: 'totp_confirm',
  });
  if (factor.enabled) return null;
  const now = services.clock.now();
  return services.storage.db.transaction().execute(async (trx) => {
    await mfa.confirm(trx, input.userId, now);
    const fresh = await mfa.regenerateBackupCodes(trx, input.userId, now);
    await appendAudit(trx, now, {
      org: DEPLOYMENT_AUDIT,
      action: 'totp.enrolled',
      actor: input.userId,
      target: input.userId,
      ip: facts.ip,
      requestId: facts.requestId,
    });
    return fresh;
  });
}

/** Turn TOTP off with a current TOTP or backup code; every trusted browser goes with it. */
export async function disableTOTP(
  identity: Identity,
  facts: Facts,
  input: { userId: string; code?: unknown },
): Promise<void> {
  const { services, mfa } = identity;
  if (!(await mfa.isEnabled(input.userId))) throw new PylonError('TOTP_NOT_ENROLLED');
  await requireSecondFactor(identity, facts, {
    userId: input.userId,
    code: input.code,
    during: 'totp_disable',
  });
  // Trust was trust in this factor: with it gone, no device may skip the next one.
  await services.storage.db.transaction().execute(async (trx) => {
    await mfa.disable(trx, input.userId);
    await identity.trustedDevices.revokeAll(input.userId, trx);
  });
  await appendAudit(services.storage.db, services.clock.now(), {
    org: DEPLOYMENT_AUDIT,
    action: 'totp.disabled',
    actor: input.userId,
    target: input.userId,
    ip: facts.ip,
    requestId: facts.requestId,
  });
}

/**
 * Ten new single-use backup codes; the old ones stop working. Each stands in for the second factor,
 * so they need a recent sign-in; audited `totp.backup_codes_regenerated` (never the codes).
 */
export async function regenerateBackupCodes(
  identity: Identity,
  facts: Facts,
  caller: SessionCaller,
): Promise<string[]> {
  const { services, mfa } = identity;
  if (!(await mfa.isEnabled(caller.userId))) throw new PylonError('TOTP_NOT_ENROLLED');
  await requireRecentSignIn(identity, caller);
  const now = services.clock.now();
  return services.storage.db.transaction().execute(async (trx) => {
    const codes = await mfa.regenerateBackupCodes(trx, caller.userId, now);
    await appendAudit(trx, now, {
      org: DEPLOYMENT_AUDIT,
      action: 'totp.backup_codes_regenerated',
      actor: caller.userId,
      target: caller.userId,
      ip: facts.ip,
      requestId: facts.requestId,
    });
    return codes;
  });
}
