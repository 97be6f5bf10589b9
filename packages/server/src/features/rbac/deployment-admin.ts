import { PylonError } from '@pylon/core';
import { type Awaitable, thenNow } from '../../awaitable.js';
import type { AuthContext } from '../../http/auth-context.js';
import type { Services } from '../../http/context.js';
import { CapabilityVersions } from '../../storage/capability-versions.js';
import type { OrgRole } from '../../storage/schema.js';
import { OrgStore } from '../orgs/org-store.js';
import { archetypeForRole } from '../orgs/policy.js';
import { AppStore } from './app-store.js';
import { BootstrapClaimStore } from './bootstrap-store.js';
import { PYLON_APP_ID, strongestPylonArchetype } from './builtin-schema.js';
import { CapabilityResolver, type OrgStanding } from './capabilities.js';
import { GrantStore } from './grant-store.js';
import { SchemaStore } from './schema-store.js';

/** Where a caller stands in the deployment: the answer `/api/auth/me` gives. */
export interface DeploymentStanding {
  /** The admin token, or `pylon-admin` in the default org's `pylon` app (see `deploymentAdmins`). */
  isAdmin: boolean;
  /** The caller's role in the deployment's default org, when they are a member of it. */
  defaultOrgRole: OrgRole | null;
}

export interface DeploymentAdmins {
  standing(auth: AuthContext): Awaitable<DeploymentStanding>;
  /** Whether anyone can administer the deployment yet (a bootstrap claim, an owner/admin, a grant). */
  exist(): Promise<boolean>;
  /** Whether the one-time bootstrap of the default org was used. */
  claimed(): Promise<boolean>;
}

/**
 * The caller of a deployment-admin route: 401 `UNAUTHORIZED` when anonymous, 403 `FORBIDDEN` (with
 * what was refused) when not a deployment admin.
 */
export async function requireDeploymentAdmin(
  admins: DeploymentAdmins,
  auth: AuthContext,
  refused: string,
): Promise<AuthContext> {
  if (auth.authMethod === 'anonymous') throw new PylonError('UNAUTHORIZED');
  if (!(await admins.standing(auth)).isAdmin) {
    throw new PylonError('FORBIDDEN', { message: `Only deployment admins may ${refused}` });
  }
  return auth;
}

const NOBODY: DeploymentStanding = Object.freeze({ isAdmin: false, defaultOrgRole: null });

/**
 * The deployment standing an org standing gives; the capability cache shares one frozen standing
 * among the requests that hit it, so its answer is kept beside it rather than derived again each
 * time.
 */
const standings = new WeakMap<OrgStanding, DeploymentStanding>();
function deploymentStanding(held: OrgStanding): DeploymentStanding {
  let found = standings.get(held);
  if (found === undefined) {
    const archetypes = [...held.granted, ...(held.role === null ? [] : [archetypeForRole(held.role)])];
    found = Object.freeze({
      isAdmin: strongestPylonArchetype(archetypes) === 'pylon-admin',
      defaultOrgRole: held.role,
    });
    standings.set(held, found);
  }
  return found;
}

/** An API key with scopes never administers the deployment, whatever its person may do. */
const scopedStanding = (held: OrgStanding): DeploymentStanding => ({
  isAdmin: false,
  defaultOrgRole: held.role,
});
const ADMIN_TOKEN: DeploymentStanding = Object.freeze({ isAdmin: true, defaultOrgRole: null });

/**
 * Stores and a resolver of its own, for a caller outside a running server's features (the start-up
 * hint); inside the server, FeatureDeps.admins reads through the shared ones (one cache).
 */
function ownStores(services: Services) {
  const { db, dialect } = services.storage;
  const orgs = new OrgStore(db, dialect);
  const grants = new GrantStore(db);
  const capabilities = new CapabilityResolver(
    new AppStore(db, dialect, services.random),
    grants,
    new SchemaStore(db),
    orgs,
    new CapabilityVersions(db),
  );
  return { orgs, grants, capabilities };
}

/**
 * Deployment admins, decided once for both surfaces: a person is one exactly when `GET /whoami`
 * at the root (the default org) answers `pylon-admin` for them, i.e. they are an owner or admin
 * member of the default org or hold a `pylon-admin` grant in its `pylon` app. The same
 * CapabilityResolver reads both. One deliberate narrowing: a grant names an address, so it
 * counts only once that address is verified (listing every user must not go to whoever
 * registered the address first). A scoped API key never stands for an admin: it may do only
 * what its scopes list.
 */
export function deploymentAdmins(
  services: Services,
  shared: { orgs: OrgStore; grants: GrantStore; capabilities: CapabilityResolver } = ownStores(services),
): DeploymentAdmins {
  const { orgs, grants, capabilities } = shared;
  const claims = new BootstrapClaimStore(services.storage.db);
  const orgId = services.config.orgId;
  return {
    standing(auth) {
      if (auth.authMethod === 'admin_token') return ADMIN_TOKEN;
      if (auth.userId === null || auth.isGuest || auth.authMethod === 'anonymous') return NOBODY;
      const standing = capabilities.standing(
        orgId,
        auth.userId,
        auth.email !== null && auth.emailVerified ? auth.email : null,
        auth.capabilityVersion,
      );
      const scoped = (auth.apiKey?.scopes.length ?? 0) > 0;
      return thenNow(standing, (held) => (scoped ? scopedStanding(held) : deploymentStanding(held)));
    },
    async exist() {
      const answers = await Promise.all([
        claims.isClaimed(orgId),
        orgs.hasMemberWithRole(orgId, ['owner', 'admin']),
        grants.anyHolds(orgId, PYLON_APP_ID, 'pylon-admin'),
      ]);
      return answers.includes(true);
    },
    claimed() {
      return claims.isClaimed(orgId);
    },
  };
}
