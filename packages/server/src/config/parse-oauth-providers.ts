import type { PylonEnv } from './config.js';
import { ConfigError, type Env, type ErrorCollector } from './config-error.js';
import { DEFAULTS } from './defaults.js';
import { providerURL, read } from './parse-values.js';

export type OAuthProviderConfig =
  | {
      readonly id: 'google';
      readonly kind: 'oidc';
      readonly clientId: string;
      readonly clientSecret: string;
      /** OpenID Connect issuer; its discovery document names every endpoint. */
      readonly issuer: string;
      /** The `scope` requested (RFC 6749 §3.3); always holds `openid` and `email`. */
      readonly scopes: readonly string[];
    }
  | {
      readonly id: 'github';
      readonly kind: 'github';
      readonly clientId: string;
      readonly clientSecret: string;
      /** Where `/login/oauth/authorize` and `/login/oauth/access_token` live. */
      readonly webURL: string;
      /** Where `/user` and `/user/emails` live. */
      readonly apiURL: string;
      /** The `scope` requested; always grants `/user/emails` (`user:email` or `user`). */
      readonly scopes: readonly string[];
    };

/**
 * A provider's `scope` (RFC 6749 §3.3: space-separated scope-tokens; commas accepted too), which
 * must keep what sign-in itself needs.
 */
function scopes(
  env: Env,
  name: string,
  fallback: string,
  required: readonly (readonly string[])[],
): string[] {
  const list = (read(env, name) ?? fallback).split(/[\s,]+/).filter((item) => item !== '');
  if (list.some((item) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(item)))
    throw new ConfigError(name, 'must be scope names separated by spaces (RFC 6749 §3.3)');
  for (const anyOf of required) {
    if (!anyOf.some((scope) => list.includes(scope)))
      throw new ConfigError(name, `must include ${anyOf.join(' or ')}: sign-in needs it`);
  }
  return [...new Set(list)];
}

export function parseOAuthProviders(
  env: Env,
  pylonEnv: PylonEnv,
  errors: ErrorCollector,
): OAuthProviderConfig[] {
  const providers: OAuthProviderConfig[] = [];
  const credentials = (prefix: string) => {
    const clientId = read(env, `${prefix}_CLIENT_ID`);
    const clientSecret = read(env, `${prefix}_CLIENT_SECRET`);
    if (clientId === undefined && clientSecret === undefined) return null;
    if (clientId === undefined)
      throw new ConfigError(`${prefix}_CLIENT_ID`, `is required with ${prefix}_CLIENT_SECRET`);
    if (clientSecret === undefined)
      throw new ConfigError(`${prefix}_CLIENT_SECRET`, `is required with ${prefix}_CLIENT_ID`);
    return { clientId, clientSecret };
  };
  errors.take(() => {
    const google = credentials('PYLON_GOOGLE');
    if (!google) return;
    const issuer = providerURL(
      'PYLON_GOOGLE_ISSUER',
      read(env, 'PYLON_GOOGLE_ISSUER') ?? DEFAULTS.googleIssuer,
      pylonEnv,
    );
    const requested = scopes(env, 'PYLON_GOOGLE_SCOPES', DEFAULTS.googleScopes, [['openid'], ['email']]);
    providers.push({ id: 'google', kind: 'oidc', ...google, issuer, scopes: requested });
  }, undefined);
  errors.take(() => {
    const github = credentials('PYLON_GITHUB');
    if (!github) return;
    providers.push({
      id: 'github',
      kind: 'github',
      ...github,
      webURL: providerURL('PYLON_GITHUB_URL', read(env, 'PYLON_GITHUB_URL') ?? DEFAULTS.githubURL, pylonEnv),
      apiURL: providerURL(
        'PYLON_GITHUB_API_URL',
        read(env, 'PYLON_GITHUB_API_URL') ?? DEFAULTS.githubAPIURL,
        pylonEnv,
      ),
      scopes: scopes(env, 'PYLON_GITHUB_SCOPES', DEFAULTS.githubScopes, [['user:email', 'user']]),
    });
  }, undefined);
  return providers;
}

/**
 * PYLON_OAUTH_<PROVIDER>_REDIRECT (earlier docs): Pylon derives each callback from PYLON_PUBLIC_URL,
 * so the old variable is accepted when it names that same URI and refused when it would not work.
 */
export function checkRedirectAliases(env: Env, publicURL: string, errors: ErrorCollector): void {
  for (const provider of ['google', 'github']) {
    const name = `PYLON_OAUTH_${provider.toUpperCase()}_REDIRECT`;
    const value = read(env, name)?.replace(/\/+$/, '');
    const expected = `${publicURL}/api/auth/callback/${provider}`;
    if (value !== undefined && value !== expected) {
      errors.add(
        new ConfigError(
          name,
          `Pylon's callback is ${expected} (from PYLON_PUBLIC_URL): set PYLON_PUBLIC_URL to match, or unset ${name}`,
        ),
      );
    }
  }
  if (read(env, 'PYLON_OAUTH_GITHUB_OIDC_ISSUER') !== undefined) {
    errors.add(
      new ConfigError(
        'PYLON_OAUTH_GITHUB_OIDC_ISSUER',
        'GitHub sign-in is OAuth 2.0 without an OpenID issuer: use PYLON_GITHUB_URL and PYLON_GITHUB_API_URL',
      ),
    );
  }
}
