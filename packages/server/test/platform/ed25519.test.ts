import { generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type Ed25519PrivateJWK,
  ed25519Backend,
  ed25519Signer,
  signingBackendWarning,
} from '../../src/platform/ed25519.js';
import * as web from '../../src/platform/ed25519-web.js';

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { jwk: privateKey.export({ format: 'jwk' }) as Ed25519PrivateJWK, publicKey };
}

describe('ed25519Signer', () => {
  it('signs with libsodium on this platform (linux-x64 has a prebuilt addon)', () => {
    expect(ed25519Backend).toBe('libsodium');
  });

  it('gives the bytes node:crypto and the Workers variant give, for many keys and messages (RFC 8032 is deterministic)', () => {
    for (let i = 0; i < 50; i++) {
      const { jwk, publicKey } = keyPair();
      const message = randomBytes(i * 37);
      const fromSodium = ed25519Signer(jwk, 'libsodium')(message);
      expect(Buffer.from(fromSodium)).toEqual(Buffer.from(ed25519Signer(jwk, 'node:crypto')(message)));
      expect(Buffer.from(fromSodium)).toEqual(Buffer.from(web.ed25519Signer(jwk)(message)));
      expect(verify(null, message, publicKey, fromSodium)).toBe(true);
    }
  });

  it('matches the RFC 8032 §7.1 test vector (TEST 2)', () => {
    // RFC 8032 §7.1, TEST 2: a one-byte message.
    const seed = Buffer.from('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 'hex');
    const publicKey = Buffer.from('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', 'hex');
    const jwk = {
      kty: 'OKP',
      crv: 'Ed25519',
      d: seed.toString('base64url'),
      x: publicKey.toString('base64url'),
    };
    const expected =
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da' +
      '085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00';
    for (const backend of ['libsodium', 'node:crypto'] as const) {
      expect(Buffer.from(ed25519Signer(jwk, backend)(Buffer.from([0x72]))).toString('hex')).toBe(expected);
    }
  });

  it('a signature from one message does not verify another (tampered input)', () => {
    const { jwk, publicKey } = keyPair();
    const signature = ed25519Signer(jwk)(Buffer.from('header.payload'));
    expect(verify(null, Buffer.from('header.payloae'), publicKey, signature)).toBe(false);
  });

  it('refuses a JWK whose x is not the public key of its d', () => {
    const { jwk } = keyPair();
    const other = keyPair().jwk;
    for (const backend of ['libsodium', 'node:crypto'] as const) {
      expect(() => ed25519Signer({ ...jwk, x: other.x }, backend)).toThrow(/x is not the public key/);
    }
    expect(() => web.ed25519Signer({ ...jwk, x: other.x })).toThrow(/x is not the public key/);
  });

  it('refuses a malformed private JWK', () => {
    const { jwk } = keyPair();
    expect(() => ed25519Signer({ ...jwk, crv: 'X25519' }, 'libsodium')).toThrow(/not an Ed25519/);
    expect(() => ed25519Signer({ ...jwk, d: Buffer.alloc(31).toString('base64url') }, 'libsodium')).toThrow(
      /32-byte seed/,
    );
    expect(() => web.ed25519Signer(jwk, 'libsodium')).toThrow(/not available on Workers/);
  });

  it('start-up says nothing when libsodium signs, and warns with the platform when it does not', () => {
    expect(signingBackendWarning('libsodium')).toBeNull();
    const warning = signingBackendWarning('node:crypto');
    expect(warning).toContain('node:crypto');
    expect(warning).toContain(`${process.platform}-${process.arch}`);
    expect(web.signingBackendWarning('node:crypto')).toBeNull();
  });
});
