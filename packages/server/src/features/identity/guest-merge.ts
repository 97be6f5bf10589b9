import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { DB } from '../../storage/database.js';
import type { Identity } from './identity.js';
import type { RequestFacts } from './sign-in.js';

/** A guest being folded into the account its holder signed in to, in the sign-in's transaction. */
export interface GuestMergeInput {
  guestId: string;
  userId: string;
  now: number;
  facts: Pick<RequestFacts, 'ip' | 'requestId'>;
}

/**
 * Something a guest holds that must go on with the person rather than vanish with the guest's row
 * (org memberships: an org whose only owner was the guest would be left with none). Registered by
 * the feature that owns it; it moves, audits in its own place, and counts what it moved.
 */
export interface GuestMover {
  /** Named in `guest.merged`'s detail as `moved_<name>`. */
  readonly name: string;
  move(trx: DB, input: GuestMergeInput): Promise<number>;
}

/**
 * Fold a guest into the account its holder signed in to: the movers carry over what is the person's
 * (org memberships), then every credential the guest held is revoked (API keys, passkeys, …: the
 * credential droppers), since moving one would give whoever holds it the account's full powers;
 * then the guest row goes, with its sessions. The guest's row is locked first, as account deletion
 * locks it before its orgs, so a deletion of the guest running at once waits instead of deadlocking.
 * Nothing happens, and nothing is audited, when the guest is already gone (merged by a sign-in
 * racing this one) or is no longer a guest.
 */
export async function mergeGuest(
  identity: Identity,
  trx: DB,
  input: GuestMergeInput & { method: string },
): Promise<void> {
  const { guestId, userId } = input;
  if (!(await identity.users.lock(trx, guestId))) return;
  if (!(await identity.users.findById(guestId, trx))?.isGuest) return;
  const counts: Record<string, number> = {};
  for (const mover of identity.guestMovers) counts[`moved_${mover.name}`] = await mover.move(trx, input);
  const revoked: string[] = [];
  for (const dropper of identity.credentialDroppers)
    if ((await dropper.drop(trx, guestId)) > 0) revoked.push(dropper.name);
  if (!(await identity.users.mergeGuest(trx, guestId))) return;
  await appendAudit(trx, input.now, {
    org: DEPLOYMENT_AUDIT,
    action: 'guest.merged',
    actor: userId,
    target: guestId,
    detail: {
      guest_id: guestId,
      user_id: userId,
      method: input.method,
      ...counts,
      revoked_credentials: revoked,
    },
    ip: input.facts.ip,
    requestId: input.facts.requestId,
  });
}
