/**
 * The node:crypto operations WebCrypto cannot do (synchronous hashing, ChaCha20-Poly1305,
 * timing-safe compare). Kept in `platform/` so another runtime can supply its own.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** One-shot SHA-256 (`crypto.hash` where the runtime has it), shared with `@pylon/core`. */
export { sha256Base64URL, sha256Hex } from '@pylon/core';

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
