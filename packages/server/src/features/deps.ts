import type { Services } from '../http/context.js';
import type { Feature } from '../http/feature.js';
import type { AnyRoute } from '../http/route-table.js';
import type { ReturnDestination } from '../pages/sign-in-step.js';
import { CapabilityVersions } from '../storage/capability-versions.js';
import { createIdentity, type Identity } from './identity/identity.js';
import type { TokenGrant } from './oauth-server/token-grant.js';
import { OrgStore } from './orgs/org-store.js';
import { AppStore } from './rbac/app-store.js';
import { CapabilityResolver } from './rbac/capabilities.js';
import { type DeploymentAdmins, deploymentAdmins } from './rbac/deployment-admin.js';
import { GrantStore } from './rbac/grant-store.js';
import { SchemaStore } from './rbac/schema-store.js';

/** The RBAC stores and the capability resolver (with its per-process cache), shared by every feature that reads what people hold. */
export interface RBACStores {
  apps: AppStore;
  grants: GrantStore;
  schemas: SchemaStore;
  capabilities: CapabilityResolver;
}

/** Every route the server mounts, by surface; filled as the feature table is built. */
export interface MountedRoutes {
  auth: AnyRoute[];
  rbac: AnyRoute[];
}

/**
 * The domain objects several features share, built once per server so no feature builds another:
 * the identity core (users, sessions, codes, the email-proof step and its credential droppers,
 * the sign-in use case), which API keys, MFA, OAuth, SSO, orgs, device login and the pages all
 * act through; the org store, which orgs, SSO and RBAC all read; the RBAC stores and capability
 * resolver, which RBAC, the OAuth server and the console read (one cache per process); and the
 * mounted route tables, which the console acts through so it copies no check.
 */
export interface FeatureDeps {
  identity: Identity;
  orgs: OrgStore;
  /** The grant types of the OAuth token endpoint, registered by the features that issue them. */
  tokenGrants: TokenGrant[];
  /**
   * Where a sign-in's `return_to` goes on to off this origin, registered by the features that own
   * such paths (the authorization server: an authorization request's redirect URI); the sign-in
   * pages allow those origins in their CSP `form-action` (pages/sign-in-step.ts).
   */
  returnDestinations: ReturnDestination[];
  rbac: RBACStores;
  /** Filled by `features()` with each feature's routes as it is built; complete before any request. */
  mountedRoutes: MountedRoutes;
  /** Who administers the deployment, read through the shared RBAC stores and capability cache. */
  admins: DeploymentAdmins;
}

/** A peer in the feature table: takes the server's services and the shared deps, returns its parts. */
export type PeerFeature = (services: Services, deps: FeatureDeps) => Feature;

export function createFeatureDeps(services: Services): FeatureDeps {
  const { db, dialect } = services.storage;
  const orgs = new OrgStore(db, dialect);
  const apps = new AppStore(db, dialect, services.random);
  const grants = new GrantStore(db);
  const schemas = new SchemaStore(db);
  const capabilities = new CapabilityResolver(apps, grants, schemas, orgs, new CapabilityVersions(db));
  return {
    identity: createIdentity(services),
    orgs,
    tokenGrants: [],
    returnDestinations: [],
    rbac: { apps, grants, schemas, capabilities },
    mountedRoutes: { auth: [], rbac: [] },
    admins: deploymentAdmins(services, { orgs, grants, capabilities }),
  };
}
