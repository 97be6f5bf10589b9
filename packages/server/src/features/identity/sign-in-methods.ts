import { PylonError } from '@pylon/core';
import type { Config } from '../../config/config.js';
import type { DB } from '../../storage/database.js';
import type { Identity } from './identity.js';
import type { UserStore } from './user-store.js';

/** One way into an account, and whether the account holds it (read on the caller's transaction). */
export interface SignInMethod {
  name: string;
  holds(trx: DB, userId: string): Promise<boolean>;
}

/**
 * The ways in identity itself knows: a password (where this deployment offers passwords), a
 * verified address (emailed codes are always on), a linked outside identity (social, SSO).
 */
export function identitySignInMethods(config: Config, users: UserStore): SignInMethod[] {
  return [
    {
      name: 'password',
      holds: async (trx, userId) =>
        config.passwords && (await users.findById(userId, trx))?.passwordHash != null,
    },
    {
      name: 'email_code',
      holds: async (trx, userId) => {
        const user = await users.findById(userId, trx);
        return user?.email != null && user.emailVerifiedAt !== null;
      },
    },
    {
      name: 'linked_identity',
      holds: async (trx, userId) => (await users.listIdentities(userId, trx)).length > 0,
    },
  ];
}

/**
 * Never the last way in: after removing one (unlinking an identity, removing a passkey), the
 * account must still hold another, or LAST_SIGN_IN_METHOD — an account with none is orphaned, and
 * its next sign-in through a provider makes a new, empty one. Call it in the removal's
 * transaction, after locking the user row (`UserStore.lock`) and making the removal, so that two
 * removals at once cannot each count on the way the other removes.
 */
export async function requireAnotherWayIn(identity: Identity, trx: DB, userId: string): Promise<void> {
  for (const method of identity.signInMethods) if (await method.holds(trx, userId)) return;
  throw new PylonError('LAST_SIGN_IN_METHOD');
}
