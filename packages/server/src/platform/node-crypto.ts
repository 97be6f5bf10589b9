/**
 * The node:crypto operations WebCrypto cannot do (synchronous hashing, ChaCha20-Poly1305,
 * timing-safe compare). Kept in `platform/` so another runtime can supply its own.
 */
import * as crypto from 'node:crypto';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  timingSafeEqual,
} from 'node:crypto';

/**
 * `crypto.hash` (Node 20.12+, 21.7+) digests in one call without a `Hash` object, which the
 * session-token hash of every authenticated request pays for otherwise; older Node 20 releases
 * fall back to `createHash`. A string is hashed as UTF-8 either way.
 */
const oneShot = (crypto as { hash?: typeof crypto.hash }).hash;

export const sha256Hex: (input: string | Uint8Array) => string =
  oneShot === undefined
    ? (input) => createHash('sha256').update(input).digest('hex')
    : (input) => oneShot('sha256', input, 'hex');

export const sha256Base64URL: (input: string) => string =
  oneShot === undefined
    ? (input) => createHash('sha256').update(input, 'utf8').digest('base64url')
    : (input) => oneShot('sha256', input, 'base64url');

export function hmacSha256Hex(key: Uint8Array, input: string): string {
  return createHmac('sha256', key).update(input, 'utf8').digest('hex');
}

/** RFC 5869 HKDF-SHA256, used to derive independent keys from PYLON_SECRET per purpose. */
export function hkdfSha256(secret: Uint8Array, info: string, length = 32): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), info, length));
}

/**
 * Compare two strings without leaking where they differ. Unequal lengths still cost a full
 * comparison (against the input itself) so length is the only thing timing can reveal.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

const TAG_BYTES = 16;

/** RFC 8439 §2.8 AEAD_CHACHA20_POLY1305: returns ciphertext with the 16-byte tag appended. */
export function chacha20Poly1305Seal(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([body, cipher.getAuthTag()]));
}

/** Inverse of chacha20Poly1305Seal; throws when the tag does not authenticate. */
export function chacha20Poly1305Open(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array {
  if (sealed.length < TAG_BYTES) throw new Error('sealed value too short');
  const body = sealed.subarray(0, sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad, { plaintextLength: body.length });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
}
