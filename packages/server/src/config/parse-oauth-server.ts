import type { Env, ErrorCollector } from './config-error.js';
import { DEFAULTS } from './defaults.js';
import { flag, integer } from './parse-values.js';

/** Pylon as an OAuth 2.1 authorization server and OpenID Provider (features/oauth-server). */
export interface OAuthServerConfig {
  /** PYLON_OAUTH_DYNAMIC_REGISTRATION: RFC 7591 `POST /oauth/register` is open (off by default). */
  readonly dynamicRegistration: boolean;
  /** PYLON_OAUTH_ACCESS_TOKEN_TTL: access token lifetime in seconds. */
  readonly accessTokenTTLSeconds: number;
  /** PYLON_OAUTH_REFRESH_TOKEN_TTL: how long an unused refresh token stays valid, in seconds. */
  readonly refreshTokenTTLSeconds: number;
}

/** Each variable checked on its own, every refusal into `errors`, so one run names them all. */
export function parseOAuthServer(env: Env, errors: ErrorCollector): OAuthServerConfig {
  return {
    dynamicRegistration: errors.take(() => flag(env, 'PYLON_OAUTH_DYNAMIC_REGISTRATION') ?? false, false),
    accessTokenTTLSeconds: errors.take(
      () => integer(env, 'PYLON_OAUTH_ACCESS_TOKEN_TTL', DEFAULTS.oauthAccessTokenTTLSeconds, 30, 3600),
      DEFAULTS.oauthAccessTokenTTLSeconds,
    ),
    refreshTokenTTLSeconds: errors.take(
      () =>
        integer(
          env,
          'PYLON_OAUTH_REFRESH_TOKEN_TTL',
          DEFAULTS.oauthRefreshTokenTTLSeconds,
          300,
          365 * 24 * 3600,
        ),
      DEFAULTS.oauthRefreshTokenTTLSeconds,
    ),
  };
}
