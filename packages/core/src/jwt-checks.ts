/**
 * Checks on a JWT that signature libraries leave to the caller. Pure: the caller passes the time.
 * Used by the server (tokens of external issuers) and the SDK (scoped tokens).
 */

/**
 * The longest compact JWS the SDK verifies (characters): a longer one is refused before anything
 * is parsed, so a huge header or payload costs nothing.
 */
export const MAX_TOKEN_LENGTH = 8 * 1024;

/**
 * The most a scoped token's `caps` claim may take, as the JSON the token carries (bytes), so that
 * every scoped token Pylon mints stays within MAX_TOKEN_LENGTH. Base64url writes 3 bytes as 4
 * characters: 4 096 bytes of `caps` are 5 462 characters, leaving 2 730 for the protected header
 * (about 110), the signature (86), two dots and the other claims (about 1 900 bytes of JSON: a
 * `sub` of up to 254 characters, `aud`, `app` and `org` of up to 64, the org's URL as `iss`).
 */
export const MAX_CAPS_CLAIM_BYTES = MAX_TOKEN_LENGTH / 2;

/** The size of a `caps` claim as a token carries it: its JSON, in UTF-8 bytes. */
export function capsClaimBytes(caps: readonly string[]): number {
  return new TextEncoder().encode(JSON.stringify(caps)).length;
}

/** Why a token's times are refused; null when they are acceptable. */
export type TimeClaimProblem =
  | 'missing_exp'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'lifetime_too_long';

export interface TimeClaimOptions {
  /** Seconds since the epoch. */
  now: number;
  /** Tolerated clock difference, in seconds. */
  skewSeconds: number;
  /** The longest life a token may claim (`exp - iat`, and `exp - now`), in seconds. */
  maxLifetimeSeconds: number;
}

const isNumericDate = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/**
 * RFC 7519 §4.1.4–4.1.6 with the stricter rules an auth server wants: `exp` is required (a token
 * without one would be valid forever), `iat` may not lie in the future beyond the skew, and no
 * token may claim to live longer than `maxLifetimeSeconds` — counted from `iat` when present and
 * from now in any case, so a far-future `exp` cannot hide behind a missing `iat`.
 */
export function checkTimeClaims(
  payload: Readonly<Record<string, unknown>>,
  options: TimeClaimOptions,
): TimeClaimProblem | null {
  const { now, skewSeconds, maxLifetimeSeconds } = options;
  const { exp, iat, nbf } = payload;
  if (!isNumericDate(exp)) return 'missing_exp';
  if (exp <= now - skewSeconds) return 'expired';
  if (nbf !== undefined && (!isNumericDate(nbf) || nbf > now + skewSeconds)) return 'not_yet_valid';
  if (iat !== undefined) {
    if (!isNumericDate(iat) || iat > now + skewSeconds) return 'issued_in_future';
    if (exp - iat > maxLifetimeSeconds + skewSeconds) return 'lifetime_too_long';
  }
  if (exp - now > maxLifetimeSeconds + skewSeconds) return 'lifetime_too_long';
  return null;
}

/**
 * True when the JSON text has an object with the same member name twice, at any depth (names
 * compared after unescaping, so `"al\u0067"` and `"alg"` collide). RFC 7515 §5.2 step 4 requires
 * refusing such a JWS header: `JSON.parse` keeps the last duplicate, another parser the first, so
 * `{"alg":"none","alg":"EdDSA"}` would mean different things to different readers. Malformed JSON
 * also answers true: the caller refuses it either way. No imports, so the SDK's verifier can take
 * this module alone (`@pylon/core/jwt-checks`) without the rest of core.
 */
export function hasDuplicateMemberNames(text: string): boolean {
  try {
    JSON.parse(text);
  } catch {
    return true;
  }
  // Once the text is known to be JSON, the scan only has to tell a member name from a value.
  // One entry per open container: the names seen so far in an object, null for an array.
  const open: Array<Set<string> | null> = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (end >= text.length) return true;
      if (expectName) {
        const name = JSON.parse(text.slice(i, end + 1)) as string;
        const names = open[open.length - 1]!;
        if (names.has(name)) return true;
        names.add(name);
        expectName = false;
      }
      i = end;
    } else if (char === '{') {
      open.push(new Set());
      expectName = true;
    } else if (char === '[') {
      open.push(null);
    } else if (char === '}' || char === ']') {
      open.pop();
      expectName = false;
    } else if (char === ',') {
      expectName = open[open.length - 1] instanceof Set;
    }
  }
  return false;
}

/** The decoded protected header of a compact JWS, refusing duplicate member names; null if malformed. */
export function decodeProtectedHeader(token: string): Record<string, unknown> | null {
  const segment = token.split('.', 1)[0] ?? '';
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return null;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(base64URLDecode(segment));
  } catch {
    return null;
  }
  if (hasDuplicateMemberNames(text)) return null;
  const header: unknown = JSON.parse(text);
  return typeof header === 'object' && header !== null && !Array.isArray(header)
    ? (header as Record<string, unknown>)
    : null;
}

function base64URLDecode(segment: string): Uint8Array {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
