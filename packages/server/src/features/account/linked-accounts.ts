import { PylonError } from '@pylon/core';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { Identity } from '../identity/identity.js';
import type { RequestFacts } from '../identity/sign-in.js';
import { requireAnotherWayIn } from '../identity/sign-in-methods.js';

/**
 * Unlink one outside identity from the caller's account, never the last way in
 * (`requireAnotherWayIn`, checked after the delete in the same transaction, the user row locked
 * first).
 */
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
    await requireAnotherWayIn(identity, trx, input.userId);
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
