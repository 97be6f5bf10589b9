import { describe, expect, it } from 'vitest';
import { secureRandom } from '../../src/crypto/random.js';
import { createSealer, SealError } from '../../src/crypto/seal.js';
import { chacha20Poly1305Open, chacha20Poly1305Seal } from '../../src/platform/node-crypto.js';

const hex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

// https://www.rfc-editor.org/rfc/rfc8439#section-2.8.2 — Example and Test Vector for AEAD_CHACHA20_POLY1305
const RFC8439_2_8_2 = {
  key: hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'),
  nonce: hex('070000004041424344454647'),
  aad: hex('50515253c0c1c2c3c4c5c6c7'),
  plaintext: new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  ),
  ciphertext: hex(`
    d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6
    3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36
    92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
    3ff4def08e4b7a9de576d26586cec64b6116`),
  tag: hex('1ae10b594f09e26a7e902ecbd0600691'),
};

describe('ChaCha20-Poly1305', () => {
  it('RFC 8439 §2.8.2 test vector: seal', () => {
    const v = RFC8439_2_8_2;
    const sealed = chacha20Poly1305Seal(v.key, v.nonce, v.aad, v.plaintext);
    expect(Buffer.from(sealed).toString('hex')).toBe(Buffer.concat([v.ciphertext, v.tag]).toString('hex'));
  });

  it('RFC 8439 §2.8.2 test vector: open', () => {
    const v = RFC8439_2_8_2;
    const opened = chacha20Poly1305Open(
      v.key,
      v.nonce,
      v.aad,
      new Uint8Array(Buffer.concat([v.ciphertext, v.tag])),
    );
    expect(new TextDecoder().decode(opened)).toBe(new TextDecoder().decode(v.plaintext));
  });

  it('RFC 8439 §2.8.2 vector with one flipped tag bit fails', () => {
    const v = RFC8439_2_8_2;
    const tampered = new Uint8Array(Buffer.concat([v.ciphertext, v.tag]));
    tampered[tampered.length - 1]! ^= 1;
    expect(() => chacha20Poly1305Open(v.key, v.nonce, v.aad, tampered)).toThrow();
  });
});

describe('Sealer', () => {
  const sealer = createSealer('11'.repeat(32), secureRandom);
  const here = { table: 'sso_configs', column: 'client_secret_sealed', row: 'acme' };

  it('round-trips and never repeats a nonce', () => {
    const a = sealer.seal('client-secret-value', here);
    const b = sealer.seal('client-secret-value', here);
    expect(a).not.toBe(b);
    expect(a).not.toContain('client-secret-value');
    expect(a.split('.')[0]).toBe('v1');
    expect(a.split('.')[1]).toBe(sealer.keyId);
    expect(sealer.open(a, here)).toBe('client-secret-value');
    expect(sealer.open(b, here)).toBe('client-secret-value');
  });

  it.each([
    ['another row', { ...here, row: 'other-org' }],
    ['another column', { ...here, column: 'totp_seed_sealed' }],
    ['another table', { ...here, table: 'users' }],
  ])('refuses a value copied to %s', (_label, elsewhere) => {
    const sealed = sealer.seal('secret', here);
    expect(() => sealer.open(sealed, elsewhere)).toThrow(SealError);
  });

  it('cannot be confused by separators inside location parts', () => {
    const sealed = sealer.seal('secret', { table: 'a|b', column: 'c', row: 'd' });
    expect(() => sealer.open(sealed, { table: 'a', column: 'b|c', row: 'd' })).toThrow(SealError);
  });

  it('refuses tampered ciphertext, nonce and envelopes', () => {
    const sealed = sealer.seal('secret', here);
    const [version, keyId, nonce, body] = sealed.split('.') as [string, string, string, string];
    const flip = (text: string) => {
      const bytes = Buffer.from(text, 'base64url');
      bytes[0]! ^= 0x01;
      return bytes.toString('base64url');
    };
    expect(() => sealer.open([version, keyId, nonce, flip(body)].join('.'), here)).toThrow(SealError);
    expect(() => sealer.open([version, keyId, flip(nonce), body].join('.'), here)).toThrow(SealError);
    expect(() => sealer.open([version, keyId, nonce, body.slice(0, 10)].join('.'), here)).toThrow(SealError);
    expect(() => sealer.open(['v2', keyId, nonce, body].join('.'), here)).toThrow(SealError);
    expect(() => sealer.open('garbage', here)).toThrow(SealError);
  });

  it('refuses a value sealed under another secret', () => {
    const other = createSealer('22'.repeat(32), secureRandom);
    expect(() => sealer.open(other.seal('secret', here), here)).toThrow(SealError);
  });
});

describe('pooledSecureRandom', () => {
  it('hands out fresh bytes of the asked length, across pool refills, never the same twice', async () => {
    const { pooledSecureRandom } = await import('../../src/crypto/random.js');
    const random = pooledSecureRandom();
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const bytes = random.bytes(16);
      expect(bytes).toHaveLength(16);
      seen.add(Buffer.from(bytes).toString('hex'));
    }
    expect(seen.size).toBe(1000);
    expect(random.bytes(5000)).toHaveLength(5000);
    const a = random.bytes(32);
    a.fill(0);
    expect(random.bytes(32).some((byte) => byte !== 0)).toBe(true);
  });
});
