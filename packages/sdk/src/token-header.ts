// The one module of core the verifier takes: it has no imports, so the bundle stays small.
import { hasDuplicateMemberNames, MAX_TOKEN_LENGTH } from '@pylon/core/jwt-checks';
import { base64url } from 'jose';
import { VerifyFailure } from './verify-failure.js';

/**
 * Larger tokens are refused before any parsing, so a huge header costs nothing (docs/SDK.md). The
 * limit lives in core beside the bound the server keeps its scoped tokens under.
 */
export { MAX_TOKEN_LENGTH };

const SEGMENT = /^[A-Za-z0-9_-]+$/;
// Empty allowed here so that an unsecured (`alg: none`) token is reported as the algorithm it is.
const SIGNATURE = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface TokenHeader {
  kid: string;
  /**
   * RFC 9068 §4: whether `typ` names an OAuth access token (`at+jwt`, or `application/at+jwt`;
   * media types compare case-insensitively, RFC 7515 §4.1.9). Anything else is a scoped token.
   */
  accessToken: boolean;
  /** The third segment: the token cache's key. */
  signature: string;
}

/**
 * Reads just enough of a compact JWS to pick a key: its size, its shape, `alg` and `kid`; a header
 * naming any parameter twice is refused first (RFC 7515 §5.2: which `alg` would count?). Only
 * EdDSA is accepted, so `none`, HS256 signed with the public key (RFC 8725 §2.1, algorithm
 * confusion) and any other algorithm are refused before a key is even looked up.
 */
export function readTokenHeader(token: string): TokenHeader {
  if (token.length > MAX_TOKEN_LENGTH) throw new VerifyFailure('oversized');
  const parts = token.split('.');
  const [header64, payload64, signature] = parts;
  if (
    parts.length !== 3 ||
    !SEGMENT.test(header64!) ||
    !SEGMENT.test(payload64!) ||
    !SIGNATURE.test(signature!)
  ) {
    throw new VerifyFailure('malformed');
  }
  const text = decodeText(header64!);
  const header = parseJSON(text);
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new VerifyFailure('malformed');
  }
  if (hasDuplicateMemberNames(text)) throw new VerifyFailure('duplicate_header_parameter');
  const { alg, kid, typ } = header as { alg?: unknown; kid?: unknown; typ?: unknown };
  if (alg !== 'EdDSA') throw new VerifyFailure('alg_not_allowed');
  if (typeof kid !== 'string' || kid === '') throw new VerifyFailure('unknown_kid');
  const accessToken = typeof typ === 'string' && /^(application\/)?at\+jwt$/i.test(typ);
  return { kid, accessToken, signature: signature! };
}

/** The JSON a base64url segment holds; `malformed` for anything that is not. */
export function decodeJSON(segment: string | Uint8Array): unknown {
  return parseJSON(decodeText(segment));
}

function decodeText(segment: string | Uint8Array): string {
  try {
    return utf8.decode(typeof segment === 'string' ? base64url.decode(segment) : segment);
  } catch {
    throw new VerifyFailure('malformed');
  }
}

function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new VerifyFailure('malformed');
  }
}
