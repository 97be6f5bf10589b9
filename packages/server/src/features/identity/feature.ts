import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { deploymentAuditRoutes } from './deployment-audit-routes.js';
import { guestRoutes } from './guest-routes.js';
import { magicRoutes } from './magic-routes.js';
import { passwordRoutes } from './password-routes.js';
import { resetRoutes } from './reset-routes.js';
import { sessionResolver } from './session-resolver.js';
import { sessionRoutes } from './session-routes.js';
import { userAdminRoutes } from './user-admin-routes.js';
import { verificationRoutes } from './verification-routes.js';

/**
 * Identity (`/api/auth/*`): users, sessions, guests, password and magic-code sign-in, email
 * verification, the user list and the deployment audit; and the session caller resolver. The
 * identity core itself is built once in features/deps.ts, as the other features act through it.
 */
export function identityFeature(services: Services, { identity, admins }: FeatureDeps): Feature {
  services.background.onFlush(() => identity.activity.flush());
  return {
    authRoutes: [
      ...magicRoutes(identity),
      ...passwordRoutes(identity),
      ...resetRoutes(identity),
      ...sessionRoutes(identity, admins),
      ...verificationRoutes(identity),
      ...guestRoutes(identity),
      ...userAdminRoutes(identity, admins),
      ...deploymentAuditRoutes(services, admins),
    ],
    resolvers: [sessionResolver(services.config, identity.sessions, identity.activity, services.clock)],
  };
}
