/**
 * OAuth 2.0 / OpenID Connect pieces that need no I/O: PKCE (RFC 7636), the authorization request
 * (RFC 6749 §4.1.1), and the checks on a discovery document and an ID token's nonce.
 */

import { type Random, toBase64URL } from '../../crypto/random.js';
import { sha256Base64URL } from '../../platform/node-crypto.js';

export class OAuthProtocolError extends Error {
  override readonly name = 'OAuthProtocolError';
}

/** RFC 7636 §4.1–4.2: a 43-character verifier from 32 random bytes and its S256 challenge. */
export function createPKCE(random: Random): { verifier: string; challenge: string } {
  const verifier = toBase64URL(random.bytes(32));
  return { verifier, challenge: sha256Base64URL(verifier) };
}

export interface AuthorizationRequest {
  clientId: string;
  redirectURI: string;
  scope: string;
  state: string;
  codeChallenge: string;
  nonce?: string;
}

/** RFC 6749 §4.1.1 with PKCE S256 (RFC 7636 §4.3), keeping any query the endpoint already has. */
export function buildAuthorizationURL(endpoint: string, request: AuthorizationRequest): string {
  const url = new URL(endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', request.clientId);
  url.searchParams.set('redirect_uri', request.redirectURI);
  url.searchParams.set('scope', request.scope);
  url.searchParams.set('state', request.state);
  url.searchParams.set('code_challenge', request.codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  if (request.nonce !== undefined) url.searchParams.set('nonce', request.nonce);
  return url.toString();
}

export interface DiscoveryDocument {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint: string;
}

/**
 * OpenID Connect Discovery 1.0 §4.3: the document's `issuer` must equal the issuer it was fetched
 * for, and the endpoints Pylon uses must be absolute https URLs (http only when the issuer itself
 * is http, i.e. a loopback peer allowed by config).
 */
export function checkDiscoveryDocument(issuer: string, document: unknown): DiscoveryDocument {
  if (typeof document !== 'object' || document === null)
    throw new OAuthProtocolError('discovery document is not an object');
  const record = document as Record<string, unknown>;
  if (record.issuer !== issuer) throw new OAuthProtocolError('discovery issuer does not match');
  const scheme = new URL(issuer).protocol;
  const endpoint = (name: keyof DiscoveryDocument): string => {
    const value = record[name];
    if (typeof value !== 'string') throw new OAuthProtocolError(`discovery document lacks ${name}`);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new OAuthProtocolError(`discovery ${name} is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== scheme)
      throw new OAuthProtocolError(`discovery ${name} is not https`);
    return value;
  };
  return {
    issuer,
    authorization_endpoint: endpoint('authorization_endpoint'),
    token_endpoint: endpoint('token_endpoint'),
    jwks_uri: endpoint('jwks_uri'),
    userinfo_endpoint: endpoint('userinfo_endpoint'),
  };
}

/** A token endpoint answer (RFC 6749 §5.1), narrowed from unknown JSON. */
export function readTokenResponse(body: unknown): { accessToken: string; idToken: string | null } {
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof record.access_token !== 'string' || record.access_token === '') {
    throw new OAuthProtocolError('token response has no access_token');
  }
  if (typeof record.token_type !== 'string' || record.token_type.toLowerCase() !== 'bearer') {
    throw new OAuthProtocolError('token response is not a bearer token');
  }
  return {
    accessToken: record.access_token,
    idToken: typeof record.id_token === 'string' ? record.id_token : null,
  };
}
