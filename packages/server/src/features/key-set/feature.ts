import type { Feature } from '../../http/feature.js';
import { keyRoutes } from './routes.js';

/**
 * The published key set (`/.well-known/pylon-keys`, `/.well-known/jwks.json`). The signing keys
 * themselves are infrastructure, `src/signing/`, shared with the token routes that sign.
 */
export function keySetFeature(): Feature {
  return { rbacRoutes: keyRoutes };
}
