import { createRemoteJWKSet, customFetch, jwtVerify, type RemoteJWKSet } from 'jose';
import type { OAuthProviderConfig } from '../../config/config.js';
import {
  buildAuthorizationURL,
  checkDiscoveryDocument,
  type DiscoveryDocument,
  OAuthProtocolError,
  readTokenResponse,
} from './protocol.js';

/** What Pylon learns about a person from a provider. */
export interface ProviderProfile {
  subject: string;
  email: string | null;
  /** Only true when the provider asserts it. */
  emailVerified: boolean;
}

export interface AuthorizationInput {
  state: string;
  nonce: string;
  codeChallenge: string;
  redirectURI: string;
}

export interface ExchangeInput {
  code: string;
  codeVerifier: string;
  nonce: string;
  redirectURI: string;
  now: number;
}

/** One social sign-in provider: where to send the person, and how to turn a code into a profile. */
export interface SocialProvider {
  readonly id: string;
  authorizationURL(input: AuthorizationInput): Promise<string>;
  /** Throws OAuthProtocolError for anything the provider got wrong, never with a secret in it. */
  exchange(input: ExchangeInput): Promise<ProviderProfile>;
}

const TIMEOUT_MS = 10_000;
const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

async function requestJSON(
  fetchImpl: typeof fetch,
  url: string,
  init: RequestInit,
  what: string,
): Promise<unknown> {
  let response: Response;
  try {
    // No redirects: a token or code must never be replayed to wherever a Location points.
    response = await fetchImpl(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch {
    throw new OAuthProtocolError(`${what}: the provider could not be reached`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new OAuthProtocolError(`${what}: the provider answered ${response.status}`);
  }
  try {
    return (await response.json()) as unknown;
  } catch {
    throw new OAuthProtocolError(`${what}: the provider did not answer JSON`);
  }
}

function tokenRequest(input: ExchangeInput, clientId: string, clientSecret: string): RequestInit {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      // RFC 6749 §2.3.1: client_secret_basic, with both parts form-encoded first.
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: input.code,
      redirect_uri: input.redirectURI,
      code_verifier: input.codeVerifier,
      client_id: clientId,
    }).toString(),
  };
}

/** Google, or any OpenID Connect provider: discovery, PKCE + nonce, a verified ID token, userinfo. */
function createOIDCProvider(
  config: Extract<OAuthProviderConfig, { kind: 'oidc' }>,
  fetchImpl: typeof fetch,
): SocialProvider {
  let discovery: Promise<DiscoveryDocument> | null = null;
  let keys: RemoteJWKSet | null = null;
  const discover = () => {
    discovery ??= requestJSON(fetchImpl, `${config.issuer}/.well-known/openid-configuration`, {}, 'discovery')
      .then((document) => checkDiscoveryDocument(config.issuer, document))
      .catch((error: unknown) => {
        discovery = null; // retry on the next sign-in rather than caching a failure
        throw error;
      });
    return discovery;
  };
  return {
    id: config.id,
    async authorizationURL(input) {
      const document = await discover();
      return buildAuthorizationURL(document.authorization_endpoint, {
        clientId: config.clientId,
        redirectURI: input.redirectURI,
        scope: config.scopes.join(' '),
        state: input.state,
        codeChallenge: input.codeChallenge,
        nonce: input.nonce,
      });
    },
    async exchange(input) {
      const document = await discover();
      const tokens = readTokenResponse(
        await requestJSON(
          fetchImpl,
          document.token_endpoint,
          tokenRequest(input, config.clientId, config.clientSecret),
          'token',
        ),
      );
      if (tokens.idToken === null) throw new OAuthProtocolError('token response has no id_token');
      keys ??= createRemoteJWKSet(new URL(document.jwks_uri), { [customFetch]: fetchImpl });
      let subject: string;
      try {
        // OpenID Connect Core §3.1.3.7: signature, iss, aud, exp (and nonce below).
        const { payload } = await jwtVerify(tokens.idToken, keys, {
          issuer: config.issuer,
          audience: config.clientId,
          algorithms: ASYMMETRIC_ALGORITHMS,
          currentDate: new Date(input.now),
          clockTolerance: 60,
        });
        if (payload.nonce !== input.nonce) throw new OAuthProtocolError('id_token nonce does not match');
        if (typeof payload.sub !== 'string' || payload.sub === '')
          throw new OAuthProtocolError('id_token has no sub');
        subject = payload.sub;
      } catch (error) {
        if (error instanceof OAuthProtocolError) throw error;
        throw new OAuthProtocolError('id_token failed verification');
      }
      const info = await requestJSON(
        fetchImpl,
        document.userinfo_endpoint,
        { headers: { authorization: `Bearer ${tokens.accessToken}`, accept: 'application/json' } },
        'userinfo',
      );
      const claims = (typeof info === 'object' && info !== null ? info : {}) as Record<string, unknown>;
      // OpenID Connect Core §5.3.2: userinfo about someone else must not be used.
      if (claims.sub !== subject) throw new OAuthProtocolError('userinfo sub does not match the id_token');
      return {
        subject,
        email: typeof claims.email === 'string' ? claims.email : null,
        emailVerified: claims.email_verified === true,
      };
    },
  };
}

/** GitHub's OAuth apps: authorize, exchange (PKCE), then `/user` and `/user/emails` for the address. */
function createGitHubProvider(
  config: Extract<OAuthProviderConfig, { kind: 'github' }>,
  fetchImpl: typeof fetch,
): SocialProvider {
  const api = (path: string, accessToken: string) =>
    requestJSON(
      fetchImpl,
      `${config.apiURL}${path}`,
      {
        headers: {
          authorization: `Bearer ${accessToken}`,
          accept: 'application/vnd.github+json',
          'user-agent': 'pylon-server',
        },
      },
      `GET ${path}`,
    );
  return {
    id: config.id,
    async authorizationURL(input) {
      return buildAuthorizationURL(`${config.webURL}/login/oauth/authorize`, {
        clientId: config.clientId,
        redirectURI: input.redirectURI,
        scope: config.scopes.join(' '),
        state: input.state,
        codeChallenge: input.codeChallenge,
      });
    },
    async exchange(input) {
      const tokens = readTokenResponse(
        await requestJSON(
          fetchImpl,
          `${config.webURL}/login/oauth/access_token`,
          tokenRequest(input, config.clientId, config.clientSecret),
          'token',
        ),
      );
      const user = (await api('/user', tokens.accessToken)) as Record<string, unknown> | null;
      if (!user || (typeof user.id !== 'number' && typeof user.id !== 'string')) {
        throw new OAuthProtocolError('GitHub /user has no id');
      }
      const emails = await api('/user/emails', tokens.accessToken);
      const list = Array.isArray(emails) ? (emails as Array<Record<string, unknown>>) : [];
      const primary = list.find((entry) => entry.primary === true && typeof entry.email === 'string');
      return {
        subject: String(user.id),
        email: primary ? (primary.email as string) : null,
        emailVerified: primary?.verified === true,
      };
    },
  };
}

export function createSocialProvider(config: OAuthProviderConfig, fetchImpl: typeof fetch): SocialProvider {
  return config.kind === 'oidc'
    ? createOIDCProvider(config, fetchImpl)
    : createGitHubProvider(config, fetchImpl);
}
