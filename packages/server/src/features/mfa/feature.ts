import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { mfaRoutes } from './routes.js';

/** TOTP second factor and backup codes (`/api/auth/totp/*`), on the identity core's MFA store. */
export function mfaFeature(_services: Services, { identity }: FeatureDeps): Feature {
  return { authRoutes: mfaRoutes(identity) };
}
