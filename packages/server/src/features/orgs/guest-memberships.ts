import { appendAudit } from '../../audit/audit-log.js';
import type { GuestMover } from '../identity/guest-merge.js';
import type { OrgStore } from './org-store.js';
import { higherOrgRole } from './policy.js';

/**
 * A guest's org memberships go on with the account the guest signs in to: an org the guest created
 * has the guest as its only owner, and dropping the membership with the guest's row would leave it
 * with nobody at all. Each org is locked first, in id order, as every membership change locks it;
 * where the account is already a member it keeps the higher of the two roles. Audited in each org
 * as membership changes are, `via: "guest_merge"`.
 */
export function guestMembershipMover(orgs: OrgStore): GuestMover {
  return {
    name: 'org_memberships',
    async move(trx, { guestId, userId, now, facts }) {
      let moved = 0;
      for (const { orgId } of await orgs.membershipsOf(guestId, trx)) {
        // Deleted since the list was read: the org took the membership with it.
        if (!(await orgs.lock(trx, orgId))) continue;
        const role = await orgs.roleOf(orgId, guestId, trx);
        if (role === null) continue;
        const held = await orgs.roleOf(orgId, userId, trx);
        const entry = { org: orgId, actor: userId, ip: facts.ip, requestId: facts.requestId };
        await orgs.removeMember(trx, orgId, guestId);
        await appendAudit(trx, now, {
          ...entry,
          action: 'org.member_removed',
          target: guestId,
          detail: { role, via: 'guest_merge', user_id: userId },
        });
        if (held === null) {
          await orgs.addMember(trx, orgId, userId, role, now);
          await appendAudit(trx, now, {
            ...entry,
            action: 'org.member_added',
            target: userId,
            detail: { role, via: 'guest_merge', guest_id: guestId },
          });
        } else if (higherOrgRole(held, role) !== held) {
          await orgs.setRole(trx, orgId, userId, role);
          await appendAudit(trx, now, {
            ...entry,
            action: 'org.role_changed',
            target: userId,
            detail: { from: held, to: role, via: 'guest_merge', guest_id: guestId },
          });
        }
        moved += 1;
      }
      return moved;
    },
  };
}
