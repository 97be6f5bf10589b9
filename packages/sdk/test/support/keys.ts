import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

export const ORG_URL = 'http://127.0.0.1:4000/o/acme';
export const APP_ID = 'notes';
export const ORG_ID = 'acme';
/** 2026-11-25T12:00:00Z, like the server tests' frozen clock. */
export const NOW_MS = Date.UTC(2026, 10, 25, 12);
export const NOW = NOW_MS / 1000;

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; alg: 'EdDSA'; use: 'sig' };
}

export async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const { x } = await exportJWK(publicKey);
  return { kid, privateKey, jwk: { kty: 'OKP', crv: 'Ed25519', x: x!, kid, alg: 'EdDSA', use: 'sig' } };
}

/** Claims exactly as Pylon mints them (docs/API.md `POST /token`), overridable one by one. */
export function scopedClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ORG_URL,
    aud: APP_ID,
    sub: 'alice@example.com',
    org: ORG_ID,
    app: APP_ID,
    caps: ['notes:notes.read', 'notes:notes.write'],
    iat: NOW,
    nbf: NOW,
    exp: NOW + 30,
    jti: `jti-${Math.random()}`,
    ...overrides,
  };
}

export function sign(key: SigningKey, claims: JWTPayload = scopedClaims(), kid = key.kid): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid }).sign(key.privateKey);
}
