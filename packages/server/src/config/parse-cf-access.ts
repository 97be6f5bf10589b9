import type { PylonEnv } from './config.js';
import { ConfigError, type Env } from './config-error.js';
import { providerURL, read } from './parse-values.js';

/** Cloudflare Access in front of the hosted pages (PYLON_CF_ACCESS_*); see docs/CF-ACCESS.md. */
export interface CFAccessConfig {
  /** The team domain as an origin, `https://<team>.cloudflareaccess.com`: the assertions' `iss`. */
  readonly teamDomain: string;
  /** The Access application's Application Audience (AUD) tag: the assertions' `aud` must hold it. */
  readonly audience: string;
  /** Where the team publishes its signing keys: `<teamDomain>/cdn-cgi/access/certs`. */
  readonly certsURL: string;
}

const TEAM = 'PYLON_CF_ACCESS_TEAM_DOMAIN';
const AUD = 'PYLON_CF_ACCESS_AUD';
/** The AUD tag is opaque (64 hex characters today); only what cannot be one is refused. */
const AUD_SHAPE = /^[A-Za-z0-9._:-]{1,256}$/;

/**
 * PYLON_CF_ACCESS_TEAM_DOMAIN and PYLON_CF_ACCESS_AUD, both or neither. The team domain may be
 * given as a bare host (`acme.cloudflareaccess.com`, read as https) or as an origin; a path, query
 * or credentials are refused, since the value is compared with the tokens' `iss` exactly. https
 * only, except an `http://` loopback host in development (a local stand-in for the team's certs),
 * the rule every fetched provider URL follows.
 */
export function parseCFAccess(env: Env, pylonEnv: PylonEnv): CFAccessConfig | null {
  const team = read(env, TEAM);
  const audience = read(env, AUD);
  if (team === undefined && audience === undefined) return null;
  if (team === undefined) throw new ConfigError(TEAM, `is required when ${AUD} is set`);
  if (audience === undefined) throw new ConfigError(AUD, `is required when ${TEAM} is set`);
  if (!AUD_SHAPE.test(audience)) {
    throw new ConfigError(AUD, 'must be the Access application’s AUD tag (letters, digits, no spaces)');
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(team) ? team : `https://${team}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(TEAM, 'must be a host such as acme.cloudflareaccess.com, or its https:// URL');
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new ConfigError(TEAM, 'must be the team domain only, without credentials, query or fragment');
  }
  if (url.pathname !== '/') throw new ConfigError(TEAM, 'must be the team domain only, without a path');
  const teamDomain = providerURL(TEAM, url.origin, pylonEnv);
  return { teamDomain, audience, certsURL: `${teamDomain}/cdn-cgi/access/certs` };
}
