import { canonicalIssuer } from './org-url.js';
import type { Actor } from './types.js';
import { VerifyFailure } from './verify-failure.js';

/** What a scoped token must say to be accepted by this app (docs/SDK.md "Verify"). */
export interface ClaimExpectations {
  issuer: string;
  appId: string;
  orgId: string;
  /** 2 s either way on `nbf` and `exp` (docs/SDK.md "Verify"). */
  skewSeconds: number;
  /** Longest `exp − iat` and `exp − now` accepted: a scoped token lives 30 s, plus the skew. */
  maxLifetimeSeconds: number;
}

export interface VerifiedClaims {
  actor: Actor;
  /** Seconds since the epoch; the token cache keeps the actor until then. */
  exp: number;
}

/**
 * Pure claim checks (the model is jose's `jwt_claims_set`): takes the verified payload and `now`,
 * returns the actor or throws the first failed check. Identity claims come before time claims, so
 * a token for another app reads as `wrong_audience` even once it has expired. `iss` is compared
 * with loopback host names as one host (see `canonicalIssuer`); a `wrong_issuer` failure carries
 * the token's `iss`, for the one configuration warning the verifier gives.
 */
export function checkClaims(
  payload: unknown,
  expected: ClaimExpectations,
  nowSeconds: number,
): VerifiedClaims {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new VerifyFailure('malformed');
  }
  const claims = payload as Record<string, unknown>;
  const { sub, caps, exp, nbf, iat } = claims;
  // RFC 7519 §4.1.4 makes `exp` optional; a bearer token without one would never stop working.
  if (exp === undefined) throw new VerifyFailure('missing_exp');
  if (
    typeof sub !== 'string' ||
    typeof exp !== 'number' ||
    typeof nbf !== 'number' ||
    (iat !== undefined && typeof iat !== 'number') ||
    !Array.isArray(caps) ||
    !caps.every((cap) => typeof cap === 'string')
  ) {
    throw new VerifyFailure('malformed');
  }
  if (typeof claims.iss !== 'string' || canonicalIssuer(claims.iss) !== canonicalIssuer(expected.issuer)) {
    throw new VerifyFailure('wrong_issuer', {
      issuer: typeof claims.iss === 'string' ? claims.iss : undefined,
    });
  }
  if (!hasAudience(claims.aud, expected.appId)) throw new VerifyFailure('wrong_audience');
  if (claims.org !== expected.orgId) throw new VerifyFailure('wrong_org');
  if (claims.app !== expected.appId) throw new VerifyFailure('wrong_app');
  // RFC 7519 §4.1.4: expired "on or after" exp; the skew widens both windows.
  if (nowSeconds - expected.skewSeconds >= exp) throw new VerifyFailure('expired');
  if (nowSeconds + expected.skewSeconds < nbf) throw new VerifyFailure('not_yet_valid');
  // RFC 7519 §4.1.6: a token "issued" later than now (beyond the skew) came from a wrong clock or
  // was forged ahead of time.
  const issuedAt = iat as number | undefined;
  if (issuedAt !== undefined && issuedAt > nowSeconds + expected.skewSeconds) {
    throw new VerifyFailure('iat_in_future');
  }
  // Pylon mints 30-second tokens: one that claims, or still has, a longer life was not minted for
  // this check, and a leaked one would stay useful for as long as it says.
  if (
    exp - nowSeconds > expected.maxLifetimeSeconds ||
    (issuedAt !== undefined && exp - issuedAt > expected.maxLifetimeSeconds)
  ) {
    throw new VerifyFailure('lifetime_too_long');
  }
  const actor: Actor = Object.freeze({
    sub,
    org: expected.orgId,
    app: expected.appId,
    caps: Object.freeze([...(caps as string[])]),
  });
  return { actor, exp };
}

// RFC 7519 §4.1.3: `aud` may be one string or an array; this app must be in it.
function hasAudience(aud: unknown, appId: string): boolean {
  return aud === appId || (Array.isArray(aud) && aud.includes(appId));
}
