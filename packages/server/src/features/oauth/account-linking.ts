import { normalizeEmail, PylonError } from '@pylon/core';
import type { DB } from '../../storage/database.js';
import { auditUserCreated, type Identity } from '../identity/identity.js';
import type { ProviderProfile } from './social-providers.js';

/**
 * The account a provider identity signs in to (docs/API.md `/callback/:provider`). Identities are keyed by
 * (provider, subject), never by email alone. A first sign-in links to an existing account only
 * when the provider asserts the email verified AND that account's email is verified too; an
 * unverified provider email is never stored, so it cannot claim an address ahead of its owner.
 */
export async function resolveAccount(
  trx: DB,
  identity: Identity,
  provider: string,
  profile: ProviderProfile,
  context: { now: number; requestId: string },
): Promise<string> {
  const linked = await trx
    .selectFrom('identities')
    .select('user_id')
    .where('provider', '=', provider)
    .where('subject', '=', profile.subject)
    .executeTakeFirst();
  if (linked) return linked.user_id;

  const email = profile.email !== null && profile.emailVerified ? normalizeEmail(profile.email) : null;
  let userId: string;
  const existing = email === null ? null : await identity.users.findByEmail(email, trx);
  if (existing) {
    if (existing.emailVerifiedAt === null) {
      throw new PylonError(
        409,
        'OAUTH_ACCOUNT_CONFLICT',
        'An account with this email exists; sign in to it another way first',
        {
          hint: 'Verify the existing account’s email, then sign in with this provider',
        },
      );
    }
    userId = existing.id;
  } else {
    userId = (await identity.users.create(trx, context.now, { email, verified: email !== null })).id;
    await auditUserCreated(identity, trx, context.now, userId, `oauth_${provider}`, context.requestId);
  }
  await trx
    .insertInto('identities')
    .values({ provider, subject: profile.subject, user_id: userId, email, created_at: context.now })
    .execute();
  return userId;
}
