import { toBase64URL } from '../../crypto/random.js';
import type { Services } from '../../http/context.js';
import { sha256Base64URL } from '../../platform/node-crypto.js';
import type { IdTokenKeys } from '../../signing/id-token-keys.js';
import { type Grant, hasScope } from './grant.js';

/** How long an id_token is valid: it is read once, at sign-in (OIDC Core §3.1.3.7). */
export const ID_TOKEN_TTL_SECONDS = 300;

export interface Person {
  id: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

/**
 * An RFC 9068 access token, signed by the deployment key set like scoped tokens (`typ: at+jwt`
 * tells the two apart, §2.1). For a resource (an MCP server) it carries that app's id and the
 * person's capabilities in it under `caps`, as scoped tokens do; without one its audience is the
 * issuer itself, for `/oauth/userinfo` only.
 */
export async function mintAccessToken(
  services: Services,
  input: {
    issuer: string;
    grant: Grant;
    app: { id: string; caps: readonly string[] } | null;
    ttlSeconds: number;
  },
): Promise<{ token: string; expiresIn: number }> {
  const iat = Math.floor(services.clock.now() / 1000);
  const { grant } = input;
  const token = await services.keys.sign(
    {
      iss: input.issuer,
      sub: grant.userId,
      aud: grant.resource ?? input.issuer,
      client_id: grant.clientId,
      scope: grant.scope,
      iat,
      nbf: iat,
      exp: iat + input.ttlSeconds,
      jti: toBase64URL(services.random.bytes(16)),
      org: grant.orgId,
      ...(input.app ? { app: input.app.id, caps: [...input.app.caps] } : {}),
    },
    { type: 'at+jwt' },
  );
  return { token, expiresIn: input.ttlSeconds };
}

/** OIDC Core §3.3.2.11: the left half of the access token's SHA-256 (RS256's hash). */
function accessTokenHash(accessToken: string): string {
  const full = Buffer.from(sha256Base64URL(accessToken), 'base64url');
  return full.subarray(0, full.length / 2).toString('base64url');
}

/** The claims a scope releases about a person (OIDC Core §5.4). */
export function personClaims(person: Person, scope: string): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (hasScope({ scope }, 'email') && person.email !== null) {
    claims.email = person.email;
    claims.email_verified = person.emailVerified;
  }
  if (hasScope({ scope }, 'profile') && person.name !== null) claims.name = person.name;
  return claims;
}

/**
 * An OIDC id_token (OIDC Core §2): EdDSA under the deployment key set, or RS256 under the id_token
 * RSA key for relying parties registered for it (the OIDC default).
 */
export async function mintIdToken(
  services: Services,
  rsa: IdTokenKeys,
  input: {
    issuer: string;
    grant: Grant;
    person: Person;
    nonce: string | null;
    accessToken: string;
    alg: 'RS256' | 'EdDSA';
  },
): Promise<string> {
  const iat = Math.floor(services.clock.now() / 1000);
  const claims = {
    iss: input.issuer,
    sub: input.grant.userId,
    aud: input.grant.clientId,
    azp: input.grant.clientId,
    iat,
    exp: iat + ID_TOKEN_TTL_SECONDS,
    auth_time: input.grant.authTime,
    ...(input.nonce === null ? {} : { nonce: input.nonce }),
    ...(input.grant.amr.length > 0 ? { amr: input.grant.amr } : {}),
    // Optional in the code flow; its hash is only defined for RS256 (SHA-256) in OIDC Core.
    ...(input.alg === 'RS256' ? { at_hash: accessTokenHash(input.accessToken) } : {}),
    ...personClaims(input.person, input.grant.scope),
  };
  return input.alg === 'RS256' ? rsa.sign(claims) : services.keys.sign(claims);
}
