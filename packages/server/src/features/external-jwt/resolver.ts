import { PylonError } from '@pylon/core';
import { createRemoteJWKSet, customFetch, decodeJwt, type JWTPayload, jwtVerify } from 'jose';
import type { Clock } from '../../clock.js';
import type { JWTIssuerConfig } from '../../config/config.js';
import type { AuthContext, CallerResolver } from '../../http/auth-context.js';

// Asymmetric only: with a symmetric algorithm, a public key could be used as an HMAC secret.
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const invalid = () =>
  new PylonError(401, 'INVALID_JWT', 'The bearer JWT is not valid for any configured issuer');

/**
 * Bearer JWTs from configured issuers (docs/API.md "TOTP, API keys, external JWTs"): verified against that
 * issuer's key set only — the configured URL, cached, refetched on an unknown `kid` at most once
 * a minute; `jku`, `x5u` and embedded `jwk` headers are never followed — with exact `iss` and
 * `aud` and ≤ 60 s of skew. The caller is then the token's subject, mapped by the issuer's claims.
 */
export function externalJWTResolver(
  issuers: readonly JWTIssuerConfig[],
  fetchImpl: typeof fetch,
  clock: Clock,
): CallerResolver {
  const keySets = new Map(
    issuers.map((config) => [
      config.issuer,
      createRemoteJWKSet(new URL(config.jwksURL), { cooldownDuration: 60_000, [customFetch]: fetchImpl }),
    ]),
  );
  const byIssuer = new Map(issuers.map((config) => [config.issuer, config]));

  function presented(credentials: Parameters<CallerResolver['resolve']>[0]): string | null {
    if (credentials.bearer !== null && JWT_SHAPE.test(credentials.bearer)) return credentials.bearer;
    for (const config of issuers) {
      const fromHeader = config.header === null ? null : credentials.header(config.header);
      if (fromHeader) return fromHeader;
    }
    return null;
  }

  return {
    name: 'external_jwt',
    async resolve(credentials) {
      if (issuers.length === 0) return null;
      const token = presented(credentials);
      if (token === null) return null;
      let claimedIssuer: unknown;
      try {
        claimedIssuer = decodeJwt(token).iss;
      } catch {
        throw invalid();
      }
      const config = typeof claimedIssuer === 'string' ? byIssuer.get(claimedIssuer) : undefined;
      if (!config) throw invalid();
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keySets.get(config.issuer)!, {
          issuer: config.issuer,
          audience: config.audience,
          algorithms: ALGORITHMS,
          clockTolerance: 60,
          currentDate: new Date(clock.now()),
        }));
      } catch {
        throw invalid();
      }
      const subject = payload[config.userIdClaim];
      if (typeof subject !== 'string' || subject === '') throw invalid();
      const email = payload[config.emailClaim];
      const roles = config.rolesClaim === null ? [] : payload[config.rolesClaim];
      const context: AuthContext = {
        userId: subject,
        email: typeof email === 'string' ? email.trim().toLowerCase() : null,
        // The issuer vouches for the identity it signed; there is no verification flow here.
        emailVerified: typeof email === 'string',
        isAdmin: false,
        isGuest: false,
        roles: Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string') : [],
        tenantId: null,
        authMethod: 'external_jwt',
      };
      return context;
    },
  };
}
