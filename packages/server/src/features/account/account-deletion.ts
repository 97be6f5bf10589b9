import { PylonError } from '@pylon/core';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import { eraseFromAudit } from '../../audit/erasure.js';
import { sha256Hex } from '../../platform/node-crypto.js';
import type { Identity } from '../identity/identity.js';
import type { RequestFacts } from '../identity/sign-in.js';
import type { OrgStore } from '../orgs/org-store.js';

/**
 * The name a deleted account goes by in the audit log: stable per account (its entries stay
 * linkable to each other), derived from the random user id only, so it names no address.
 */
export function deletedUserPseudonym(userId: string): string {
  return `deleted-user-${sha256Hex(userId).slice(0, 16)}`;
}

export interface AccountDeletion {
  revokedSessions: number;
  droppedCredentials: string[];
  memberships: number;
}

/**
 * Delete the caller's account in one transaction: refuse while they are the only owner of an org
 * (each org they own is locked first, so a concurrent demotion of its other owner waits), then
 * revoke every session, drop every credential through the same droppers the first email proof
 * uses (password, TOTP, API keys, passkeys…), remove memberships and linked identities, delete
 * the user row, record `user.deleted` and pseudonymise the address in the audit log.
 */
export async function deleteAccount(
  identity: Identity,
  orgs: OrgStore,
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
  userId: string,
): Promise<AccountDeletion> {
  const { services } = identity;
  return services.storage.db.transaction().execute(async (trx) => {
    // The user row first, as disabling a user does (UserStore.lock): one lock order, no deadlock.
    if (!(await identity.users.lock(trx, userId))) throw new PylonError('SESSION_EXPIRED');
    const user = await identity.users.findById(userId, trx);
    if (!user) throw new PylonError('SESSION_EXPIRED');
    for (const orgId of await orgs.ownedOrgs(userId, trx)) await orgs.lock(trx, orgId);
    const sole = await orgs.soleOwnerOf(userId, trx);
    if (sole.length > 0) {
      throw new PylonError('LAST_OWNER', {
        message: `You are the last owner of ${sole.join(', ')}: make someone else an owner or delete the org first`,
      });
    }
    const now = services.clock.now();
    const revokedSessions = await identity.sessions.revokeAll(userId, {}, trx);
    const droppedCredentials: string[] = [];
    for (const dropper of identity.credentialDroppers) {
      if ((await dropper.drop(trx, userId)) > 0) droppedCredentials.push(dropper.name);
    }
    const memberships = await orgs.removeAllMemberships(trx, userId);
    await identity.users.delete(trx, userId);
    const pseudonym = deletedUserPseudonym(userId);
    await appendAudit(trx, now, {
      org: DEPLOYMENT_AUDIT,
      action: 'user.deleted',
      actor: { type: 'user', id: userId, email: pseudonym },
      target: { id: userId },
      detail: { revoked_sessions: revokedSessions, dropped_credentials: droppedCredentials, memberships },
      ip: facts.ip,
      requestId: facts.requestId,
    });
    await eraseFromAudit(trx, { userId, email: user.email, pseudonym });
    return { revokedSessions, droppedCredentials, memberships };
  });
}
