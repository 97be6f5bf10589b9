import type { Config } from '../config/config.js';
import type { FeatureFactory } from '../server.js';
import { identityFeature } from './identity/feature.js';
import { orgsFeature } from './orgs/feature.js';
import { rbacFeature } from './rbac/feature.js';

/**
 * The features a production server runs, in caller-resolution order (admin token,
 * API key, external JWT, session). Orgs, RBAC and SSO register here as they land.
 */
export function features(_config: Config): FeatureFactory[] {
  return [identityFeature, orgsFeature, rbacFeature];
}
