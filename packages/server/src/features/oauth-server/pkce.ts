import { constantTimeEqual, sha256Base64URL } from '../../platform/node-crypto.js';

/** RFC 7636 §4.1: 43–128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Whether an authorisation request's PKCE parameters are acceptable: S256 only (OAuth 2.1 §4.1.1;
 * `plain` offers nothing once the challenge travels through the browser), and a challenge of the
 * length S256 produces. Returns the reason when not.
 */
export function checkCodeChallenge(challenge: string | undefined, method: string | undefined): string | null {
  if (challenge === undefined || challenge === '') return 'code_challenge is required (PKCE)';
  if (method !== 'S256') return 'code_challenge_method must be S256';
  if (!S256_CHALLENGE.test(challenge)) return 'code_challenge is not an S256 challenge';
  return null;
}

/** RFC 7636 §4.6: the verifier hashes to the challenge stored with the code. */
export function verifierMatches(verifier: string | undefined, challenge: string): boolean {
  if (verifier === undefined || !VERIFIER.test(verifier)) return false;
  return constantTimeEqual(sha256Base64URL(verifier), challenge);
}
