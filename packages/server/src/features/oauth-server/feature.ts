import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import { IdTokenKeys } from '../../signing/id-token-keys.js';
import type { FeatureDeps } from '../deps.js';
import type { RBACContext } from '../rbac/context.js';
import { authorizeRoutes } from './authorize-routes.js';
import { createClientDocumentCache } from './client-document.js';
import { clientRoutes } from './client-routes.js';
import { ClientStore } from './client-store.js';
import { ClientDirectory } from './clients.js';
import { authorizationCodeGrant, refreshTokenGrant } from './code-grant.js';
import { CodeStore } from './code-store.js';
import { ConsentPrompts } from './consent-prompts.js';
import { consentRoutes } from './consent-routes.js';
import { ConsentStore } from './consent-store.js';
import type { OAuthServerContext } from './context.js';
import { endpointRoutes } from './endpoint-routes.js';
import { RefreshStore } from './refresh-store.js';
import { authorizationDestination } from './return-destination.js';

/**
 * Pylon as an OAuth 2.1 authorization server and OpenID Provider for every org's issuer
 * (`{api_url}`): metadata, authorize with consent, the token endpoint (whose grants other features
 * may add), revocation, userinfo, pre-registered and dynamic clients, and a person's consents.
 */
export function oauthServerFeature(services: Services, deps: FeatureDeps): Feature {
  const { db } = services.storage;
  const clientStore = new ClientStore(db, services.random);
  const { apps, grants, schemas, capabilities } = deps.rbac;
  const context: OAuthServerContext = {
    services,
    identity: deps.identity,
    clientStore,
    clients: new ClientDirectory(services, clientStore, createClientDocumentCache()),
    codes: new CodeStore(db, services.random),
    refreshTokens: new RefreshStore(
      db,
      services.storage.dialect,
      services.random,
      services.config.oauthServer.refreshTokenTTLSeconds * 1000,
    ),
    consents: new ConsentStore(db, services.random),
    consentPrompts: new ConsentPrompts(db),
    apps,
    capabilities,
    idTokenKeys: new IdTokenKeys({
      db,
      sealer: services.sealer,
      clock: services.clock,
      random: services.random,
    }),
    tokenGrants: deps.tokenGrants,
  };
  // The first proof of an address ends what an earlier, unproven holder connected (refresh tokens
  // and consents, email-proof.ts); a password reset ends the refresh tokens (password-policy.ts).
  deps.identity.credentialDroppers.push({
    name: 'oauth_grants',
    drop: async (trx, userId) =>
      (await context.refreshTokens.revokeForUser(trx, userId, services.clock.now())) +
      (await context.consents.forgetForUser(trx, userId)),
  });
  deps.identity.accessRevokers.push({
    name: 'refresh_tokens',
    drop: (trx, userId) => context.refreshTokens.revokeForUser(trx, userId, services.clock.now()),
  });
  // First in the list: the metadata names these two before any other feature's grants.
  deps.tokenGrants.unshift(authorizationCodeGrant(context), refreshTokenGrant(context));
  // A sign-in that goes on to the authorisation endpoint ends at the client's redirect URI.
  deps.returnDestinations.push(authorizationDestination(context));
  const rbac: RBACContext = {
    services,
    apps,
    grants,
    schemas,
    orgs: deps.orgs,
    capabilities,
    admins: deps.admins,
  };
  return {
    rbacRoutes: [
      ...endpointRoutes(context),
      ...authorizeRoutes(context),
      ...clientRoutes(context, rbac),
      ...consentRoutes(context),
    ],
  };
}
