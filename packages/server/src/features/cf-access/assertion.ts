import { checkTimeClaims, decodeProtectedHeader, isValidEmail, normalizeEmail } from '@pylon/core';
import { errors, type JWTPayload, jwtVerify } from 'jose';
import type { Clock } from '../../clock.js';
import type { CFAccessConfig } from '../../config/config.js';
import { AccessCerts, CertsUnavailableError, isNoMatchingKey } from './certs.js';

/** Clock skew allowed on `exp`, `nbf` and `iat`, in seconds. */
export const ACCESS_SKEW_SECONDS = 60;
/** Access's longest application session is one month: no assertion may claim to live longer. */
export const ACCESS_MAX_LIFETIME_SECONDS = 31 * 24 * 60 * 60;
/** Cloudflare's assertions are about 1 KiB; a header far larger is not one. */
const MAX_ASSERTION_CHARS = 8 * 1024;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Who Access says the person is: the (team, sub) identity and the address Access authenticated. */
export interface AccessPerson {
  subject: string;
  email: string;
}

/** Why an assertion was refused, for the log line (never the token itself). */
export type AssertionProblem =
  | 'malformed'
  | 'algorithm'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'lifetime_too_long'
  | 'missing_subject'
  | 'missing_email'
  | 'certs_unavailable';

export type AssertionResult = { ok: true; person: AccessPerson } | { ok: false; problem: AssertionProblem };

const refused = (problem: AssertionProblem): AssertionResult => ({ ok: false, problem });

function claimProblem(error: InstanceType<typeof errors.JWTClaimValidationFailed>): AssertionProblem {
  switch (error.claim) {
    case 'iss':
      return 'wrong_issuer';
    case 'aud':
      return 'wrong_audience';
    case 'nbf':
      return 'not_yet_valid';
    case 'sub':
      return 'missing_subject';
    case 'email':
      return 'missing_email';
    default:
      return 'malformed';
  }
}

/**
 * Verifies a Cloudflare Access application token (the `Cf-Access-Jwt-Assertion` header or the
 * `CF_Authorization` cookie) the way Cloudflare's "Validate JWTs" guide describes: signed RS256
 * (no other algorithm, so neither `none` nor an HMAC keyed with the public key) by one of the
 * team's current keys, `iss` exactly the team domain, `aud` holding the application's AUD tag,
 * `exp` required and `nbf`/`iat` honoured with 60 s of skew on the injected clock, a `sub` and a
 * valid `email`. A header with a member twice (RFC 7515 §5.2) is malformed.
 */
export function accessAssertionVerifier(
  config: CFAccessConfig,
  fetchImpl: typeof fetch,
  clock: Clock,
): (token: string) => Promise<AssertionResult> {
  const certs = new AccessCerts(config.certsURL, fetchImpl, clock);
  return async (token) => {
    if (token.length > MAX_ASSERTION_CHARS || !JWT_SHAPE.test(token)) return refused('malformed');
    const header = decodeProtectedHeader(token);
    if (header === null) return refused('malformed');
    if (header.alg !== 'RS256') return refused('algorithm');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, certs.getKey, {
        issuer: config.teamDomain,
        audience: config.audience,
        algorithms: ['RS256'],
        clockTolerance: ACCESS_SKEW_SECONDS,
        requiredClaims: ['exp', 'sub', 'email'],
        currentDate: new Date(clock.now()),
      }));
    } catch (error) {
      if (error instanceof CertsUnavailableError) return refused('certs_unavailable');
      if (isNoMatchingKey(error)) return refused('unknown_key');
      if (error instanceof errors.JWSSignatureVerificationFailed) return refused('bad_signature');
      if (error instanceof errors.JWTExpired) return refused('expired');
      if (error instanceof errors.JWTClaimValidationFailed) return refused(claimProblem(error));
      return refused('malformed');
    }
    const problem = checkTimeClaims(payload, {
      now: Math.floor(clock.now() / 1000),
      skewSeconds: ACCESS_SKEW_SECONDS,
      maxLifetimeSeconds: ACCESS_MAX_LIFETIME_SECONDS,
    });
    if (problem !== null) return refused(problem === 'missing_exp' ? 'malformed' : problem);
    if (typeof payload.sub !== 'string' || payload.sub === '') return refused('missing_subject');
    const email = payload.email;
    if (typeof email !== 'string' || !isValidEmail(email)) return refused('missing_email');
    return { ok: true, person: { subject: payload.sub, email: normalizeEmail(email) } };
  };
}
