import { canonicalIssuer, namesAnotherOrg } from './org-url.js';
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

/** What an OAuth access token (RFC 9068) must say to be accepted by this resource server. */
export interface AccessTokenExpectations extends ClaimExpectations {
  /** This server's resource URL (RFC 8707): the `aud` Pylon writes into its access tokens. */
  resource: string;
}

/**
 * Pure claim checks (the model is jose's `jwt_claims_set`): takes the verified payload and `now`,
 * returns the actor or throws the first failed check. Identity claims come before time claims, so
 * a token for another app reads as `wrong_audience` even once it has expired. `iss` is compared
 * with loopback host names as one host (see `canonicalIssuer`). A token of another org reads as
 * `wrong_org` whatever its `iss`, so a `wrong_issuer` failure is always a token of this org reached
 * under another URL; it carries the token's `iss`, for the one configuration warning the verifier
 * gives.
 */
export function checkClaims(
  payload: unknown,
  expected: ClaimExpectations,
  nowSeconds: number,
): VerifiedClaims {
  const claims = readClaims(payload);
  // A scoped token always has `nbf` (docs/API.md `POST /token`).
  if (typeof claims.nbf !== 'number') throw new VerifyFailure('malformed');
  return checkCommon(claims, expected, expected.appId, nowSeconds);
}

/**
 * The same checks for an OAuth access token (RFC 9068 §4): `aud` is this server's resource URL
 * instead of the app id, `client_id` and `iat` are required (§2.2), `nbf` is optional, and the
 * lifetime bound is the access token's. The caller has already checked the header's `typ`.
 */
export function checkAccessTokenClaims(
  payload: unknown,
  expected: AccessTokenExpectations,
  nowSeconds: number,
): VerifiedClaims {
  const claims = readClaims(payload);
  const { client_id: clientId, scope, iat, nbf } = claims;
  if (
    typeof clientId !== 'string' ||
    typeof iat !== 'number' ||
    (nbf !== undefined && typeof nbf !== 'number') ||
    (scope !== undefined && typeof scope !== 'string')
  ) {
    throw new VerifyFailure('malformed');
  }
  const verified = checkCommon(claims, expected, expected.resource, nowSeconds);
  const actor: Actor = Object.freeze({
    ...verified.actor,
    client_id: clientId,
    ...(scope === undefined ? {} : { scope }),
  });
  return { actor, exp: verified.exp };
}

function readClaims(payload: unknown): Record<string, unknown> {
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
    (nbf !== undefined && typeof nbf !== 'number') ||
    (iat !== undefined && typeof iat !== 'number') ||
    !Array.isArray(caps) ||
    !caps.every((cap) => typeof cap === 'string')
  ) {
    throw new VerifyFailure('malformed');
  }
  return claims;
}

function checkCommon(
  claims: Record<string, unknown>,
  expected: ClaimExpectations,
  audience: string,
  nowSeconds: number,
): VerifiedClaims {
  const { sub, caps } = claims as { sub: string; caps: string[] };
  const exp = claims.exp as number;
  const issuer = typeof claims.iss === 'string' ? claims.iss : undefined;
  const issuerMatches = issuer !== undefined && canonicalIssuer(issuer) === canonicalIssuer(expected.issuer);
  // Any user can create an org and mint its tokens, signed with the deployment's keys: such a
  // token (its `org`, or an `iss` of `…/o/{other}` on this origin) is another org's, refused as
  // that, so it can never prompt the configuration warning (and choose what it advises).
  if (
    claims.org !== expected.orgId ||
    (!issuerMatches && issuer !== undefined && namesAnotherOrg(issuer, expected.issuer, expected.orgId))
  ) {
    throw new VerifyFailure('wrong_org');
  }
  if (!issuerMatches) throw new VerifyFailure('wrong_issuer', { issuer });
  if (!hasAudience(claims.aud, audience)) throw new VerifyFailure('wrong_audience');
  if (claims.app !== expected.appId) throw new VerifyFailure('wrong_app');
  // RFC 7519 §4.1.4: expired "on or after" exp; the skew widens both windows.
  if (nowSeconds - expected.skewSeconds >= exp) throw new VerifyFailure('expired');
  const nbf = claims.nbf as number | undefined;
  if (nbf !== undefined && nowSeconds + expected.skewSeconds < nbf) throw new VerifyFailure('not_yet_valid');
  // RFC 7519 §4.1.6: a token "issued" later than now (beyond the skew) came from a wrong clock or
  // was forged ahead of time.
  const issuedAt = claims.iat as number | undefined;
  if (issuedAt !== undefined && issuedAt > nowSeconds + expected.skewSeconds) {
    throw new VerifyFailure('iat_in_future');
  }
  // Pylon mints short-lived tokens: one that claims, or still has, a longer life was not minted
  // for this check, and a leaked one would stay useful for as long as it says.
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
    caps: Object.freeze([...caps]),
  });
  return { actor, exp };
}

// RFC 7519 §4.1.3: `aud` may be one string or an array; this app must be in it.
function hasAudience(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}
