import type { Feature } from '../../http/feature.js';
import { healthRoutes } from './routes.js';

/** Liveness and readiness (`/health`, `/ready`), on every org's base. */
export function healthFeature(): Feature {
  return { rbacRoutes: healthRoutes };
}
