import type { Config } from '../config/config.js';
import type { Services } from '../http/context.js';
import type { FeatureFactory } from '../http/feature.js';
import { accountFeature } from './account/feature.js';
import { accountPagesFeature } from './account-pages/feature.js';
import { apiKeysFeature } from './api-keys/feature.js';
import { cfAccessFeature } from './cf-access/feature.js';
import { consoleFeature } from './console/feature.js';
import { createFeatureDeps, type FeatureDeps, type PeerFeature } from './deps.js';
import { deviceFeature } from './device/feature.js';
import { externalJWTFeature } from './external-jwt/feature.js';
import { healthFeature } from './health/feature.js';
import { identityFeature } from './identity/feature.js';
import { jwtFeature } from './jwt/feature.js';
import { keySetFeature } from './key-set/feature.js';
import { mfaFeature } from './mfa/feature.js';
import { oauthFeature } from './oauth/feature.js';
import { oauthServerFeature } from './oauth-server/feature.js';
import { orgsFeature } from './orgs/feature.js';
import { pagesFeature } from './pages/feature.js';
import { passkeysFeature } from './passkeys/feature.js';
import { peopleAuditFeature } from './people-audit/feature.js';
import { rbacFeature } from './rbac/feature.js';
import { ssoFeature } from './sso/feature.js';
import { trustedDevicesFeature } from './trusted-devices/feature.js';

/**
 * Every feature a production server runs, each an equal peer. The order is the order routes
 * are mounted and, for the three that resolve callers, the caller-resolution order after the
 * admin token: API key, then external JWT, then session (first match wins).
 */
export const FEATURE_TABLE: readonly PeerFeature[] = [
  healthFeature,
  keySetFeature,
  apiKeysFeature,
  externalJWTFeature,
  identityFeature,
  accountFeature,
  mfaFeature,
  passkeysFeature,
  jwtFeature,
  peopleAuditFeature,
  trustedDevicesFeature,
  oauthFeature,
  orgsFeature,
  ssoFeature,
  deviceFeature,
  pagesFeature,
  cfAccessFeature,
  accountPagesFeature,
  rbacFeature,
  oauthServerFeature,
  consoleFeature,
];

/**
 * The feature table as createServer takes it. The shared deps are built once per server (per
 * Services object), on the first feature's call, and every peer receives the same ones.
 */
export function features(_config: Config): FeatureFactory[] {
  const built = new WeakMap<Services, FeatureDeps>();
  const depsFor = (services: Services): FeatureDeps => {
    let deps = built.get(services);
    if (!deps) {
      deps = createFeatureDeps(services);
      built.set(services, deps);
    }
    return deps;
  };
  return FEATURE_TABLE.map((feature) => (services: Services) => {
    const deps = depsFor(services);
    const built = feature(services, deps);
    deps.mountedRoutes.auth.push(...(built.authRoutes ?? []));
    deps.mountedRoutes.rbac.push(...(built.rbacRoutes ?? []));
    return built;
  });
}
