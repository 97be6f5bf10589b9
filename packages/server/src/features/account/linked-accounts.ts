import { PylonError } from '@pylon/core';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { DB } from '../../storage/database.js';
import type { Identity } from '../identity/identity.js';
import type { RequestFacts } from '../identity/sign-in.js';

/**
 * Unlink one outside identity from the caller's account, never the last way in. What still
 * signs in after the unlink: a password, a verified address (magic codes are always on), or
 * another linked identity, or a way in another feature registered (a passkey:
 * `identity.signInMethods`). The user row is locked first and the rule checked after the
 * delete in the same transaction, so two unlinks at once cannot both remove "the other one".
 */
async function holdsOtherWayIn(identity: Identity, trx: DB, userId: string): Promise<boolean> {
  for (const method of identity.signInMethods) if (await method.holds(trx, userId)) return true;
  return false;
}

export async function unlinkIdentity(
  identity: Identity,
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
  input: { userId: string; provider: string; subject: string },
): Promise<void> {
  const { services } = identity;
  await services.storage.db.transaction().execute(async (trx) => {
    if (!(await identity.users.lock(trx, input.userId))) throw new PylonError('SESSION_EXPIRED');
    if (!(await identity.users.unlinkIdentity(trx, input.userId, input.provider, input.subject))) {
      throw new PylonError('LINKED_ACCOUNT_NOT_FOUND');
    }
    const user = await identity.users.findById(input.userId, trx);
    const remaining = await identity.users.listIdentities(input.userId, trx);
    const canSignIn =
      user !== null &&
      (user.passwordHash !== null ||
        (user.email !== null && user.emailVerifiedAt !== null) ||
        remaining.length > 0 ||
        (await holdsOtherWayIn(identity, trx, input.userId)));
    if (!canSignIn) throw new PylonError('LAST_SIGN_IN_METHOD');
    await appendAudit(trx, services.clock.now(), {
      org: DEPLOYMENT_AUDIT,
      action: 'user.identity_unlinked',
      actor: { type: 'user', id: input.userId },
      target: { id: input.userId },
      detail: { provider: input.provider },
      ip: facts.ip,
      requestId: facts.requestId,
    });
  });
}
