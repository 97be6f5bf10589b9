import type { Services } from '../../http/context.js';
import type { Feature } from '../../server.js';
import { apiKeysFeature } from '../api-keys/feature.js';
import { deviceAndPageRoutes } from '../device/feature.js';
import { externalJWTResolver } from '../external-jwt/resolver.js';
import { mfaRoutes } from '../mfa/routes.js';
import { oauthFeature } from '../oauth/feature.js';
import { orgsFeature } from '../orgs/feature.js';
import { ssoFeature } from '../sso/feature.js';
import { deploymentAuditRoutes } from './deployment-audit-routes.js';
import { guestRoutes } from './guest-routes.js';
import { createIdentity } from './identity.js';
import { magicRoutes } from './magic-routes.js';
import { passwordRoutes } from './password-routes.js';
import { resetRoutes } from './reset-routes.js';
import { sessionResolver } from './session-resolver.js';
import { sessionRoutes } from './session-routes.js';
import { userAdminRoutes } from './user-admin-routes.js';
import { verificationRoutes } from './verification-routes.js';

/** Identity (`/api/auth/*`): users, sessions, guests, password, magic-code and social sign-in. */
export function identityFeature(services: Services): Feature {
  const identity = createIdentity(services);
  services.background.onFlush(() => identity.activity.flush());
  const apiKeys = apiKeysFeature(services, identity);
  // Orgs share this identity: accepting an emailed invite link proves the address.
  const orgs = orgsFeature(identity);
  return {
    authRoutes: [
      ...magicRoutes(identity),
      ...passwordRoutes(identity),
      ...resetRoutes(identity),
      ...sessionRoutes(identity),
      ...verificationRoutes(identity),
      ...guestRoutes(identity),
      ...userAdminRoutes(identity),
      ...deploymentAuditRoutes(services),
      ...mfaRoutes(identity),
      ...(apiKeys.authRoutes ?? []),
      ...(oauthFeature(services, identity).authRoutes ?? []),
      ...(orgs.authRoutes ?? []),
      // Per-org SSO ends in identity's sign-in use case, so it is built on this identity.
      ...(ssoFeature(services, identity).authRoutes ?? []),
    ],
    rbacRoutes: [...deviceAndPageRoutes(identity), ...(orgs.rbacRoutes ?? [])],
    // Caller-resolution order after the admin token: API key, external JWT, then session.
    resolvers: [
      ...(apiKeys.resolvers ?? []),
      externalJWTResolver(services.config.jwtIssuers, services.fetch, services.clock, (provider, subject) =>
        identity.users.findLinkedUser(provider, subject),
      ),
      sessionResolver(services.config, identity.sessions, identity.activity, services.clock),
    ],
  };
}
