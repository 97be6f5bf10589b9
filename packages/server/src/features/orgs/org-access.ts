import { PylonError } from '@pylon/core';
import type { AppContext, Services } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import type { DB } from '../../storage/database.js';
import { requireSession } from '../identity/route-helpers.js';
import type { OrgStore } from './org-store.js';
import type { Actor } from './policy.js';

/**
 * Who is acting on an org: the deployment admin (admin token), or a member with their role. A
 * non-member gets 404, the same as for an org that does not exist, so org ids cannot be probed.
 */
export async function orgActor(
  c: AppContext,
  services: Services,
  orgs: OrgStore,
  orgId: string,
): Promise<Actor> {
  const auth = await getAuth(c, services);
  if (auth.isAdmin) {
    if (!(await orgs.find(orgId))) throw new PylonError('ORG_NOT_FOUND');
    return { kind: 'admin' };
  }
  const session = await requireSession(c, services);
  const role = await orgs.roleOf(orgId, session.userId);
  if (role === null) throw new PylonError('ORG_NOT_FOUND');
  return { kind: 'member', role, userId: session.userId };
}

/**
 * The actor again, read inside a transaction that holds the org lock: a role checked before the
 * lock could have been taken away by a concurrent change.
 */
export async function relockActor(trx: DB, orgs: OrgStore, orgId: string, actor: Actor): Promise<Actor> {
  if (!(await orgs.lock(trx, orgId))) throw new PylonError('ORG_NOT_FOUND');
  if (actor.kind === 'admin') return actor;
  const role = await orgs.roleOf(orgId, actor.userId, trx);
  if (role === null) throw new PylonError('ORG_NOT_FOUND');
  return { ...actor, role };
}

/** Whether the user is a member of the org, locking the org's row first (false: no such org). */
export async function isLockedMember(
  trx: DB,
  orgs: OrgStore,
  orgId: string,
  userId: string,
): Promise<boolean> {
  return (await orgs.lock(trx, orgId)) !== null && (await orgs.roleOf(orgId, userId, trx)) !== null;
}

/** How an actor is named in the audit log. */
export function actorName(actor: Actor): string {
  return actor.kind === 'admin' ? 'admin' : actor.userId;
}
