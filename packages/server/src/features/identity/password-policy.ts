import { PylonError } from '@pylon/core';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import { checkPasswordPolicy } from '../../platform/password.js';
import { type Identity, proveEmail } from './identity.js';
import type { RequestFacts } from './sign-in.js';

/** WEAK_PASSWORD before any hashing: an over-long password is refused without spending Argon2 on it. */
export function requireStrongPassword(password: unknown, field = 'password'): string {
  if (typeof password !== 'string')
    throw new PylonError('WEAK_PASSWORD', { message: `${field} is required` });
  const verdict = checkPasswordPolicy(password);
  if (verdict === 'too_short')
    throw new PylonError('WEAK_PASSWORD', { message: `${field} must be at least 10 characters` });
  if (verdict === 'too_long')
    throw new PylonError('WEAK_PASSWORD', { message: `${field} must be at most 256 characters` });
  return password;
}

/**
 * Store a new password hash and sign the account out, in one transaction with its audit entry:
 * everywhere (reset), or everywhere but the caller's session (change).
 */
export async function replacePassword(
  identity: Identity,
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
  input: {
    userId: string;
    hash: string;
    action: 'password.changed' | 'password.reset';
    keepSession?: string;
    /** A reset proves the address: the token came by email. */
    verifyEmail?: boolean;
  },
): Promise<number> {
  const { services } = identity;
  const now = services.clock.now();
  return services.storage.db.transaction().execute(async (trx) => {
    // Proven first, so the credentials it drops are the old ones, never the password set here.
    let revokedByProof = 0;
    if (input.verifyEmail) {
      ({ revokedSessions: revokedByProof } = await proveEmail(trx, identity, {
        userId: input.userId,
        now,
        method: 'password_reset',
        ip: facts.ip,
        requestId: facts.requestId,
      }));
    }
    await identity.users.setPasswordHash(trx, input.userId, input.hash);
    // A new password ends every device's exemption from the second factor too.
    await identity.trustedDevices.revokeAll(input.userId, trx);
    const count =
      revokedByProof +
      (await identity.sessions.revokeAll(
        input.userId,
        input.keepSession ? { except: input.keepSession } : {},
        trx,
      ));
    // A reset is the account's recovery: the apps it connected lose their refresh tokens too.
    const revokedAccess: Record<string, number> = {};
    if (input.action === 'password.reset') {
      for (const revoker of identity.accessRevokers)
        revokedAccess[`revoked_${revoker.name}`] = await revoker.drop(trx, input.userId);
    }
    await appendAudit(trx, now, {
      org: DEPLOYMENT_AUDIT,
      action: input.action,
      actor: input.userId,
      target: input.userId,
      detail: { revoked_sessions: count, ...revokedAccess },
      ip: facts.ip,
      requestId: facts.requestId,
    });
    return count;
  });
}
