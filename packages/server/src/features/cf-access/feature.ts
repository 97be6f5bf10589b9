import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { accessAssertionVerifier } from './assertion.js';
import { cfAccessGate } from './gate.js';

/**
 * Cloudflare Access as the hosted pages' sign-in (PYLON_CF_ACCESS_TEAM_DOMAIN and
 * PYLON_CF_ACCESS_AUD; docs/CF-ACCESS.md): a middleware on the hosted pages, nothing when unset.
 * Runtime-neutral: the team's certs come through `services.fetch`, verification through jose.
 */
export function cfAccessFeature(services: Services, deps: FeatureDeps): Feature {
  const config = services.config.cfAccess;
  if (config === null) return {};
  const verify = accessAssertionVerifier(config, services.fetch, services.clock);
  return {
    middleware: [
      cfAccessGate({
        identity: deps.identity,
        config,
        verify,
        rbacRoutes: deps.mountedRoutes.rbac,
        returnDestinations: deps.returnDestinations,
      }),
    ],
  };
}
