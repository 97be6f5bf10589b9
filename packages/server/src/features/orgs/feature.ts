import type { Services } from '../../http/context.js';
import type { Feature } from '../../server.js';
import type { OrgRole } from '../../storage/schema.js';
import { inviteRoutes } from './invite-routes.js';
import { InviteStore } from './invite-store.js';
import { orgRoutes } from './org-routes.js';
import { OrgStore } from './org-store.js';
import { archetypeForRole } from './policy.js';
import { selectOrgRoutes } from './select-org-route.js';

export interface OrgsContext {
  services: Services;
  orgs: OrgStore;
  invites: InviteStore;
}

/** Organisations (`/api/auth/orgs*`): orgs, members and roles, invites, the session's active org. */
export function orgsFeature(services: Services): Feature {
  const context: OrgsContext = {
    services,
    orgs: new OrgStore(services.storage.db, services.storage.dialect),
    invites: new InviteStore(services.storage.db, services.random),
  };
  return { authRoutes: [...orgRoutes(context), ...inviteRoutes(context), ...selectOrgRoutes(context)] };
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
