import type { DB } from '../../storage/database.js';
import { auditUserCreated, type Identity, proveEmail } from './identity.js';

/** An identity proven by someone outside Pylon: a social provider, an org's SSO, Cloudflare Access. */
export interface OutsideIdentity {
  /** The issuer's key in `identities` (e.g. `github`, `sso:<org>:<issuer>`, `cf_access:<team>`). */
  provider: string;
  subject: string;
  /** An address the issuer vouches it verified, normalised; null when it vouches for none. */
  verifiedEmail: string | null;
  /** The sign-in method the audit records for a proof or a new account. */
  method: string;
  displayName?: string | null;
}

/**
 * The account an outside identity signs in to. Identities are keyed by (issuer, subject), never
 * by email alone: the linked account if there is one; else, when the issuer vouches for a verified
 * address, the account holding it, for which this is a proof of the address (when it was unproven,
 * whoever registered it earlier loses their sessions and credentials: email-proof.ts, so a
 * pre-registered account is never handed over with the attacker still in); else a new account
 * (with that address verified, or none). The identity is then linked to it.
 */
export async function resolveOutsideAccount(
  trx: DB,
  identity: Identity,
  outside: OutsideIdentity,
  facts: { now: number; ip: string | null; requestId: string },
): Promise<string> {
  const linked = await identity.users.findLinkedUser(outside.provider, outside.subject, trx);
  if (linked !== null) return linked;
  const email = outside.verifiedEmail;
  const existing = email === null ? null : await identity.users.findByEmail(email, trx);
  let userId: string;
  if (existing) {
    // Proven before the link below: the proof drops the identities linked while the address was
    // unproven (a squatter's), and this one, the proof itself, is linked after and stays.
    await proveEmail(trx, identity, {
      userId: existing.id,
      now: facts.now,
      method: outside.method,
      ip: facts.ip,
      requestId: facts.requestId,
    });
    userId = existing.id;
  } else {
    const created = await identity.users.create(trx, facts.now, {
      email,
      verified: email !== null,
      ...(outside.displayName === undefined ? {} : { displayName: outside.displayName }),
    });
    userId = created.id;
    await auditUserCreated(trx, facts.now, userId, outside.method, facts.requestId);
  }
  await identity.users.linkIdentity(trx, {
    provider: outside.provider,
    subject: outside.subject,
    userId,
    email,
    now: facts.now,
  });
  return userId;
}
