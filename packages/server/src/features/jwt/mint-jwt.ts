import { SignJWT } from 'jose';
import type { JWTMintingConfig } from '../../config/parse-jwt-minting.js';
import type { KeyRing } from '../../signing/signing-keys.js';

/** The claims of a token for other services: who, in which org, with which roles, until when. */
export interface MintedClaims {
  sub: string;
  iat: number;
  exp: number;
  iss: string;
  tenant_id: string | null;
  roles: string[];
}

export interface MintedJWT {
  token: string;
  /** Seconds since the epoch, the token's `exp`. */
  expiresAt: number;
}

/** The claims for a person at `now` (ms); RFC 7519 §4.1.4/§4.1.6: `iat` and `exp` in whole seconds. */
export function mintedClaims(
  config: JWTMintingConfig,
  defaultIssuer: string,
  person: { userId: string; tenantId: string | null; roles: readonly string[] },
  now: number,
): MintedClaims {
  const iat = Math.floor(now / 1000);
  return {
    sub: person.userId,
    iat,
    exp: iat + config.lifetimeSeconds,
    iss: config.issuer ?? defaultIssuer,
    tenant_id: person.tenantId,
    roles: [...person.roles],
  };
}

/**
 * Sign with the deployment's current Ed25519 key (RFC 8037; verifiable at /.well-known/jwks.json),
 * or, when PYLON_JWT_SECRET is set, HS256 under it (RFC 7518 §3.2) for services that verify the
 * way the earlier Pylon signed. Never `alg: none`: the algorithm is fixed here, not chosen by input.
 */
export async function signMintedJWT(
  config: JWTMintingConfig,
  keys: KeyRing,
  claims: MintedClaims,
): Promise<MintedJWT> {
  const token =
    config.secret === null
      ? await keys.sign({ ...claims })
      : await new SignJWT({ tenant_id: claims.tenant_id, roles: claims.roles })
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setSubject(claims.sub)
          .setIssuer(claims.iss)
          .setIssuedAt(claims.iat)
          .setExpirationTime(claims.exp)
          .sign(Buffer.from(config.secret, 'utf8'));
  return { token, expiresAt: claims.exp };
}
