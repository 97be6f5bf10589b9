import { isValidEmail, normalizeEmail } from '@pylon/core';
import type { DB } from '../../storage/database.js';
import type { Identity } from '../identity/identity.js';
import { resolveOutsideAccount } from '../identity/outside-account.js';
import type { ProviderProfile } from './social-providers.js';

/**
 * The account a provider identity signs in to. Identities are keyed by (provider, subject), never
 * by email alone. A first sign-in links to an existing account by email only when the provider
 * asserts the email verified; an unverified provider email is never stored, so it cannot claim an
 * address ahead of its owner. When the existing account's address was unproven, the provider's
 * assertion is its first proof: whoever registered it earlier loses their sessions and credentials
 * (email-proof.ts), so a pre-registered account is never handed over with the attacker still in.
 * An email is taken only when sign-up would take it, judged as the provider sent it: a list, a
 * header injection or a look-alike that lowercases into someone else's address is no email.
 */
export function resolveAccount(
  trx: DB,
  identity: Identity,
  provider: string,
  profile: ProviderProfile,
  context: { now: number; requestId: string; ip: string | null },
): Promise<string> {
  return resolveOutsideAccount(
    trx,
    identity,
    {
      provider,
      subject: profile.subject,
      verifiedEmail:
        profile.email !== null && profile.emailVerified && isValidEmail(profile.email)
          ? normalizeEmail(profile.email)
          : null,
      method: `oauth_${provider}`,
    },
    context,
  );
}
