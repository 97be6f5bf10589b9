import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { OrgRole } from '../../storage/schema.js';
import type { FeatureDeps } from '../deps.js';
import type { Identity } from '../identity/identity.js';
import type { GrantStore } from '../rbac/grant-store.js';
import { guestMembershipMover } from './guest-memberships.js';
import { InviteLinks } from './invite-link.js';
import { invitePageRoutes } from './invite-page.js';
import { inviteRoutes } from './invite-routes.js';
import { InviteStore } from './invite-store.js';
import { orgRoutes } from './org-routes.js';
import type { OrgStore } from './org-store.js';
import { archetypeForRole } from './policy.js';
import { discoverRoutes } from './routes.js';
import { selectOrgRoutes } from './select-org-route.js';

export interface OrgsContext {
  services: Services;
  /** Accepting through the emailed link proves the address (identity's first-proof mechanism). */
  identity: Identity;
  orgs: OrgStore;
  invites: InviteStore;
  links: InviteLinks;
  /** A member who leaves or is removed loses their grants in the org's apps with the membership. */
  grants: GrantStore;
}

/**
 * Organisations (`/api/auth/orgs*`): orgs, members and roles, invites, the session's active org;
 * `/discover`, and the hosted invite page (`/invite/{token}`). Accepting an invite proves the
 * address through the shared identity core.
 */
export function orgsFeature(services: Services, { identity, orgs, rbac }: FeatureDeps): Feature {
  const context: OrgsContext = {
    services,
    identity,
    orgs,
    invites: new InviteStore(services.storage.db, services.random),
    links: new InviteLinks(services.config.secret!),
    grants: rbac.grants,
  };
  identity.guestMovers.push(guestMembershipMover(orgs));
  return {
    authRoutes: [...orgRoutes(context), ...inviteRoutes(context), ...selectOrgRoutes(context)],
    rbacRoutes: [...discoverRoutes, ...invitePageRoutes(context)],
  };
}

/**
 * A person's effective archetypes in the built-in `pylon` app of an org, from their membership:
 * owner/admin → `pylon-admin`, member → `pylon-user`, none → []. Grants (the RBAC issue) add to it.
 */
export async function effectivePylonArchetypes(
  orgs: OrgStore,
  orgId: string,
  userId: string,
): Promise<string[]> {
  const role: OrgRole | null = await orgs.roleOf(orgId, userId);
  return role === null ? [] : [archetypeForRole(role)];
}
