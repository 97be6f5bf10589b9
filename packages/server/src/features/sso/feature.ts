import { isLoopbackHost } from '../../config/config.js';
import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { discoverRoute } from './discover-route.js';
import { createOIDCClient } from './oidc-client.js';
import { oidcRoutes } from './oidc-routes.js';
import { samlRoutes } from './saml-routes.js';
import type { SSOContext } from './sso-context.js';
import { SSOStore } from './sso-store.js';

/**
 * Per-org SSO (`/orgs/:id/sso*`, `/orgs/:id/saml*`, `/sso/discover`): each org signs its people
 * in through its own IdP. Signing in ends in identity's sign-in use case, so it shares identity.
 */
export function ssoFeature(services: Services, { identity, orgs }: FeatureDeps): Feature {
  const { db } = services.storage;
  const context: SSOContext = {
    services,
    identity,
    orgs,
    store: new SSOStore(db, services.random, services.sealer, services.config.ssoAllowedDomains),
    oidc: createOIDCClient({
      fetch: services.fetch,
      // A plain-http IdP only on loopback in development mode (local testing).
      allowHTTP: (url) =>
        url.protocol === 'http:' && services.config.env === 'development' && isLoopbackHost(url.hostname),
    }),
  };
  return { authRoutes: [...oidcRoutes(context), ...samlRoutes(context), ...discoverRoute(context)] };
}
