import type { Actor } from './types.js';
import { VerifyFailure } from './verify-failure.js';

/** What a scoped token must say to be accepted by this app (docs/SDK.md "Verify"). */
export interface ClaimExpectations {
  issuer: string;
  appId: string;
  orgId: string;
  /** 2 s either way on `nbf` and `exp` (docs/SDK.md "Verify"). */
  skewSeconds: number;
}

export interface VerifiedClaims {
  actor: Actor;
  /** Seconds since the epoch; the token cache keeps the actor until then. */
  exp: number;
}

/**
 * Pure claim checks (the model is jose's `jwt_claims_set`): takes the verified payload and `now`,
 * returns the actor or throws the first failed check. Identity claims come before time claims, so
 * a token for another app reads as `wrong_audience` even once it has expired.
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
  const { sub, caps, exp, nbf } = claims;
  if (
    typeof sub !== 'string' ||
    typeof exp !== 'number' ||
    typeof nbf !== 'number' ||
    !Array.isArray(caps) ||
    !caps.every((cap) => typeof cap === 'string')
  ) {
    throw new VerifyFailure('malformed');
  }
  if (claims.iss !== expected.issuer) throw new VerifyFailure('wrong_issuer');
  if (!hasAudience(claims.aud, expected.appId)) throw new VerifyFailure('wrong_audience');
  if (claims.org !== expected.orgId) throw new VerifyFailure('wrong_org');
  if (claims.app !== expected.appId) throw new VerifyFailure('wrong_app');
  // RFC 7519 §4.1.4: expired "on or after" exp; the skew widens both windows.
  if (nowSeconds - expected.skewSeconds >= exp) throw new VerifyFailure('expired');
  if (nowSeconds + expected.skewSeconds < nbf) throw new VerifyFailure('not_yet_valid');
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
