import { PylonError } from '@pylon/core';
import * as client from 'openid-client';
import {
  createIdPFetch,
  findCause,
  IdPAnswerTooLargeError,
  MAX_DISCOVERY_BYTES,
  MAX_IDP_ANSWER_BYTES,
} from './idp-fetch.js';

/** What Pylon reads from an IdP's answer: the subject, and the email only with its verification flag. */
export interface SSOProfile {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

/** A connection as the protocol needs it. */
export interface OIDCClientSettings {
  issuerURL: string;
  clientId: string;
  /** Null where no request is made with it (building the authorization URL). */
  clientSecret: string | null;
  discovery: Record<string, unknown>;
}

/** Raised for whatever the IdP got wrong; the message is for the log, never for the browser. */
export class SSOProtocolError extends Error {
  override readonly name = 'SSOProtocolError';
}

/**
 * id_token signatures Pylon accepts: asymmetric only. `none` would let anyone write an id_token;
 * HS256 is keyed with the client secret, which the org owner (and whoever else holds the secret)
 * also knows, so it proves nothing about who issued the token (OpenID Connect Core 1.0 §10.1).
 */
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
  'Ed25519',
];

const TIMEOUT_SECONDS = 10;

/** The endpoints Pylon calls or sends people to; each must be https (or loopback http in development). */
const ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint'] as const;

/**
 * The discovery metadata kept with a connection: what Pylon and openid-client read during a
 * sign-in, nothing else, so the stored row stays small whatever else the IdP publishes.
 */
const STRING_FIELDS = ['issuer', ...ENDPOINTS] as const;
const LIST_FIELDS = [
  'id_token_signing_alg_values_supported',
  'token_endpoint_auth_methods_supported',
  'userinfo_signing_alg_values_supported',
  'code_challenge_methods_supported',
] as const;
const FLAG_FIELDS = ['authorization_response_iss_parameter_supported'] as const;

export interface OIDCClient {
  /**
   * Fetch `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4) and return
   * the metadata fields Pylon uses, to cache. openid-client checks that the document's `issuer`
   * equals the issuer URL (§4.3). Throws DISCOVERY_FAILED (also for a document over 64 KiB), or
   * INSECURE_SSO_URL for an endpoint whose own URL is plain http outside loopback development.
   */
  discover(issuer: URL): Promise<Record<string, unknown>>;
  /** The IdP's authorization URL for one sign-in (OpenID Connect Core 1.0 §3.1.2.1). */
  authorizationURL(
    settings: OIDCClientSettings,
    input: { redirectURI: string; state: string; nonce: string; codeChallenge: string },
  ): URL;
  /**
   * Redeem the code with the PKCE verifier (RFC 7636 §4.5) and check the id_token (OpenID Connect
   * Core 1.0 §3.1.3.7): signature against the IdP's JWKS, `iss`, `aud`/`azp`, `exp`, `iat`,
   * `nonce`. The email comes from the id_token, else from userinfo (§5.3, whose `sub` must match).
   */
  exchange(
    settings: OIDCClientSettings,
    input: { callbackURL: URL; state: string; nonce: string; codeVerifier: string },
  ): Promise<SSOProfile>;
}

/**
 * openid-client v6 with the server's own fetch, so tests and operators control the network.
 * Plain http is allowed only for a URL `allowHTTP` approves (a loopback IdP in development mode),
 * checked for each request's own URL (idp-fetch.ts). Key sets are cached per issuer for the life
 * of the server.
 */
export function createOIDCClient(options: {
  fetch: typeof fetch;
  allowHTTP: (url: URL) => boolean;
}): OIDCClient {
  const customFetch = createIdPFetch({ ...options, maxBytes: MAX_IDP_ANSWER_BYTES });
  const discoveryFetch = createIdPFetch({ ...options, maxBytes: MAX_DISCOVERY_BYTES });
  const jwksCaches = new Map<string, client.ExportedJWKSCache>();

  function configuration(settings: OIDCClientSettings): client.Configuration {
    const metadata = settings.discovery as unknown as client.ServerMetadata;
    const advertised = Array.isArray(metadata.id_token_signing_alg_values_supported)
      ? metadata.id_token_signing_alg_values_supported.filter((alg) => ASYMMETRIC_ALGORITHMS.includes(alg))
      : [];
    const server: client.ServerMetadata = {
      ...metadata,
      // OpenID Connect Discovery 1.0 §3: RS256 is the default when nothing else is advertised.
      id_token_signing_alg_values_supported: advertised.length > 0 ? advertised : ['RS256'],
    };
    const methods = metadata.token_endpoint_auth_methods_supported;
    // OpenID Connect Discovery 1.0 §3: client_secret_basic when the IdP lists no methods.
    const auth =
      settings.clientSecret === null
        ? client.None()
        : Array.isArray(methods) &&
            !methods.includes('client_secret_basic') &&
            methods.includes('client_secret_post')
          ? client.ClientSecretPost(settings.clientSecret)
          : client.ClientSecretBasic(settings.clientSecret);
    const config = new client.Configuration(server, settings.clientId, undefined, auth);
    config[client.customFetch] = customFetch;
    config.timeout = TIMEOUT_SECONDS;
    if (needsLoopbackHTTP(settings.discovery)) client.allowInsecureRequests(config);
    // Verify the id_token's signature even though it came straight from the token endpoint over
    // TLS (Core §3.1.3.7 #6 would allow skipping it): the check names the key that signed it.
    client.enableNonRepudiationChecks(config);
    const cached = jwksCaches.get(settings.issuerURL);
    if (cached) client.setJwksCache(config, cached);
    return config;
  }

  /**
   * openid-client refuses http unless told otherwise, for the whole configuration: told so only
   * when every endpoint is https or an approved loopback URL, and the fetch still checks each URL.
   */
  function needsLoopbackHTTP(metadata: Record<string, unknown>): boolean {
    const urls = ENDPOINTS.map((name) => metadata[name])
      .filter((value): value is string => typeof value === 'string' && URL.canParse(value))
      .map((value) => new URL(value));
    return (
      urls.some((url) => url.protocol === 'http:') &&
      urls.every((url) => url.protocol === 'https:' || options.allowHTTP(url))
    );
  }

  /** Each endpoint judged by its own URL: the issuer being loopback says nothing about where it points. */
  function requireEndpoint(metadata: Record<string, unknown>, name: string): void {
    const value = metadata[name];
    if (typeof value !== 'string' || !URL.canParse(value)) {
      throw new PylonError('DISCOVERY_FAILED', { message: `The discovery document has no valid ${name}` });
    }
    const url = new URL(value);
    if (url.protocol !== 'https:' && !options.allowHTTP(url)) {
      throw new PylonError('INSECURE_SSO_URL', {
        message: `The IdP's ${name} must be an https:// URL (plain http only for a loopback IdP in development mode)`,
      });
    }
  }

  return {
    async discover(issuer) {
      let config: client.Configuration;
      try {
        config = await client.discovery(issuer, 'pylon-discovery', undefined, undefined, {
          [client.customFetch]: discoveryFetch,
          execute: options.allowHTTP(issuer) ? [client.allowInsecureRequests] : [],
          timeout: TIMEOUT_SECONDS,
        });
      } catch (cause) {
        if (findCause(cause, IdPAnswerTooLargeError)) {
          throw new PylonError('DISCOVERY_FAILED', {
            message: `The issuer's discovery document is larger than ${MAX_DISCOVERY_BYTES / 1024} KiB`,
            cause,
          });
        }
        throw new PylonError('DISCOVERY_FAILED', {
          message: `${issuer.origin}${issuer.pathname.replace(/\/$/, '')}/.well-known/openid-configuration could not be read as this issuer's discovery document`,
          cause,
        });
      }
      const metadata = pickUsedMetadata(config.serverMetadata() as unknown as Record<string, unknown>);
      for (const name of ENDPOINTS) {
        if (name !== 'userinfo_endpoint' || metadata[name] !== undefined) requireEndpoint(metadata, name);
      }
      return metadata;
    },

    authorizationURL(settings, input) {
      return client.buildAuthorizationUrl(configuration(settings), {
        redirect_uri: input.redirectURI,
        scope: 'openid email profile',
        response_type: 'code',
        state: input.state,
        nonce: input.nonce,
        code_challenge: input.codeChallenge,
        code_challenge_method: 'S256',
      });
    },

    async exchange(settings, input) {
      const config = configuration(settings);
      try {
        const tokens = await client.authorizationCodeGrant(config, input.callbackURL, {
          pkceCodeVerifier: input.codeVerifier,
          expectedState: input.state,
          expectedNonce: input.nonce,
          idTokenExpected: true,
        });
        const cache = client.getJwksCache(config);
        if (cache) jwksCaches.set(settings.issuerURL, cache);
        const claims = tokens.claims();
        if (!claims) throw new SSOProtocolError('no id_token in the token response');
        // OpenID Connect Core 1.0 §2: sub is required and never empty; it is half the identity key.
        if (typeof claims.sub !== 'string' || claims.sub === '') {
          throw new SSOProtocolError('id_token has no sub');
        }
        let source: Record<string, unknown> = claims;
        if (typeof claims.email !== 'string' && config.serverMetadata().userinfo_endpoint) {
          source = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        }
        return {
          issuer: claims.iss,
          subject: claims.sub,
          email: typeof source.email === 'string' ? source.email : null,
          emailVerified: isVerified(source),
          name: typeof source.name === 'string' ? source.name : null,
        };
      } catch (error) {
        if (error instanceof PylonError || error instanceof SSOProtocolError) throw error;
        const code = (error as { code?: unknown }).code;
        throw new SSOProtocolError(
          `${typeof code === 'string' ? `${code}: ` : ''}${error instanceof Error ? error.message : 'failed'}`,
        );
      }
    },
  };
}

/** The fields of STRING_FIELDS, LIST_FIELDS and FLAG_FIELDS the document has, with the right types. */
function pickUsedMetadata(document: Record<string, unknown>): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of STRING_FIELDS) {
    if (typeof document[name] === 'string') picked[name] = document[name];
  }
  for (const name of LIST_FIELDS) {
    const value = document[name];
    if (Array.isArray(value)) picked[name] = value.filter((item) => typeof item === 'string');
  }
  for (const name of FLAG_FIELDS) {
    if (typeof document[name] === 'boolean') picked[name] = document[name];
  }
  return picked;
}

/**
 * Core §5.1 `email_verified`. Some IdPs send the JSON string "true". Entra ID sends no
 * `email_verified`; its optional `xms_edov` claim says the email's domain is verified for the tenant.
 */
function isVerified(claims: Record<string, unknown>): boolean {
  const flag = claims.email_verified ?? claims.xms_edov;
  return flag === true || flag === 'true';
}
