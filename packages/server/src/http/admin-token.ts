import { constantTimeEqual } from '../platform/node-crypto.js';
import type { AuthContext, CallerResolver } from './auth-context.js';

/** `Authorization: Bearer <PYLON_ADMIN_TOKEN>` acts as the deployment admin (constant-time compare). */
export function adminTokenResolver(adminToken: string | null, defaultOrg: string): CallerResolver {
  return {
    name: 'admin_token',
    resolve({ bearer }) {
      if (adminToken === null || bearer === null || !constantTimeEqual(bearer, adminToken)) return null;
      const context: AuthContext = {
        userId: null,
        email: null,
        emailVerified: false,
        isAdmin: true,
        isGuest: false,
        roles: ['admin'],
        tenantId: defaultOrg,
        authMethod: 'admin_token',
      };
      return context;
    },
  };
}
