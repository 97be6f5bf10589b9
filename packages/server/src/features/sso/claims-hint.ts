import type { Services } from '../../http/context.js';
import { SSOStore } from './sso-store.js';

/**
 * The start-up warning for SSO domain claims PYLON_SSO_ALLOWED_DOMAINS does not allow (in
 * production an unset list allows none), or null when there are none. Such a claim counts for
 * nothing — no asserted address in it is taken, discovery routes none of it — so an operator who
 * upgraded, or changed the list, learns which orgs' SSO sign-ins stopped linking accounts.
 */
export async function disallowedClaimsHint(services: Services): Promise<string | null> {
  const store = new SSOStore(
    services.storage.db,
    services.random,
    services.sealer,
    services.config.ssoAllowedDomains,
  );
  const claims = await store.disallowedClaims();
  if (claims.length === 0) return null;
  const named = claims.map(({ orgId, domain }) => `${domain} (org ${orgId})`).join(', ');
  const example = claims[0]!;
  return (
    `SSO: ${claims.length === 1 ? 'a claimed domain is' : `${claims.length} claimed domains are`} not allowed by PYLON_SSO_ALLOWED_DOMAINS and count for nothing ` +
    `(no address in them is taken from the IdP, /sso/discover routes none): ${named}. ` +
    `List each one the org may speak for (e.g. PYLON_SSO_ALLOWED_DOMAINS=${example.orgId}=${example.domain}) and restart, or remove it from the org's SSO settings; see docs/SSO.md`
  );
}
