import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Base64URL, sha256Hex } from '../../src/platform/node-crypto.js';

describe('one-shot SHA-256', () => {
  it('matches the FIPS 180-2 test vector and an incremental Hash on text, non-ASCII text and bytes', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    for (const input of ['', 'pylon_0123abcd', 'é ✓ 𝄞', new Uint8Array([0, 1, 255])]) {
      expect(sha256Hex(input)).toBe(createHash('sha256').update(input).digest('hex'));
    }
    for (const input of ['', 'a verifier', 'é ✓ 𝄞']) {
      expect(sha256Base64URL(input)).toBe(createHash('sha256').update(input, 'utf8').digest('base64url'));
    }
  });
});
