import { normalizeEmail } from '@pylon/core';
import type { DB } from '../../storage/database.js';
import { auditUserCreated, type Identity, proveEmail } from '../identity/identity.js';
import type { ProviderProfile } from './social-providers.js';

/**
 * The account a provider identity signs in to. Identities are keyed by (provider, subject), never
 * by email alone. A first sign-in links to an existing account by email only when the provider
 * asserts the email verified; an unverified provider email is never stored, so it cannot claim an
 * address ahead of its owner. When the existing account's address was unproven, the provider's
 * assertion is its first proof: whoever registered it earlier loses their sessions and credentials
 * (email-proof.ts), so a pre-registered account is never handed over with the attacker still in.
 */
export async function resolveAccount(
  trx: DB,
  identity: Identity,
  provider: string,
  profile: ProviderProfile,
  context: { now: number; requestId: string; ip: string | null },
): Promise<string> {
  const linked = await identity.users.findLinkedUser(provider, profile.subject, trx);
  if (linked !== null) return linked;

  const email = profile.email !== null && profile.emailVerified ? normalizeEmail(profile.email) : null;
  let userId: string;
  const existing = email === null ? null : await identity.users.findByEmail(email, trx);
  if (existing) {
    await proveEmail(trx, identity, {
      userId: existing.id,
      now: context.now,
      method: `oauth_${provider}`,
      ip: context.ip,
      requestId: context.requestId,
    });
    userId = existing.id;
  } else {
    userId = (await identity.users.create(trx, context.now, { email, verified: email !== null })).id;
    await auditUserCreated(trx, context.now, userId, `oauth_${provider}`, context.requestId);
  }
  await identity.users.linkIdentity(trx, {
    provider,
    subject: profile.subject,
    userId,
    email,
    now: context.now,
  });
  return userId;
}
