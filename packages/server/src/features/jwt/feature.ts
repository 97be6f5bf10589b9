import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import { jwtRoutes } from './routes.js';

/** JWTs for other services (`POST /api/auth/jwt`), signed with the deployment's keys or PYLON_JWT_SECRET. */
export function jwtFeature(services: Services): Feature {
  return { authRoutes: jwtRoutes(services) };
}
