import type { Services } from '../http/context.js';
import type { Feature } from '../http/feature.js';
import { createIdentity, type Identity } from './identity/identity.js';
import type { TokenGrant } from './oauth-server/token-grant.js';
import { OrgStore } from './orgs/org-store.js';

/**
 * The domain objects several features share, built once per server so no feature builds another:
 * the identity core (users, sessions, codes, the email-proof step and its credential droppers,
 * the sign-in use case), which API keys, MFA, OAuth, SSO, orgs, device login and the pages all
 * act through; and the org store, which orgs, SSO and RBAC all read.
 */
export interface FeatureDeps {
  identity: Identity;
  orgs: OrgStore;
  /** The grant types of the OAuth token endpoint, registered by the features that issue them. */
  tokenGrants: TokenGrant[];
}

/** A peer in the feature table: takes the server's services and the shared deps, returns its parts. */
export type PeerFeature = (services: Services, deps: FeatureDeps) => Feature;

export function createFeatureDeps(services: Services): FeatureDeps {
  return {
    identity: createIdentity(services),
    orgs: new OrgStore(services.storage.db, services.storage.dialect),
    tokenGrants: [],
  };
}
