import type { Config } from '../config/config.js';
import type { FeatureFactory } from '../server.js';
import { identityFeature } from './identity/feature.js';
import { rbacFeature } from './rbac/feature.js';

/**
 * The features a production server runs, in caller-resolution order (admin token,
 * API key, external JWT, session). Orgs, RBAC and SSO register here as they land.
 */
export function features(_config: Config): FeatureFactory[] {
  // Orgs are built inside the identity feature, whose stores they share.
  return [identityFeature, rbacFeature];
}
