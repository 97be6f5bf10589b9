import { createPrivateKey, createPublicKey, sign } from 'node:crypto';

// What both Ed25519 platform modules share: `ed25519.ts` (Node, libsodium first) falls back to
// this signer, and `ed25519-web.ts` (Workers, `nodejs_compat`) signs with it alone.

/** A private Ed25519 key as a JWK (RFC 8037 §2): `d` is the 32-byte seed, `x` the public key. */
export interface Ed25519PrivateJWK {
  kty: string;
  crv: string;
  x: string;
  d: string;
}

/** Which implementation signs: libsodium when its prebuilt addon loads here, else node:crypto. */
export type Ed25519Backend = 'libsodium' | 'node:crypto';

/** A JWK whose x is not d's public key would sign tokens no published key verifies. */
export const MISMATCHED_KEY = "the JWK's x is not the public key of its d";

/** Sign with node:crypto (OpenSSL), after checking the JWK's x against its d. */
export function nodeCryptoSigner(privateJWK: Ed25519PrivateJWK): (data: Uint8Array) => Uint8Array {
  const key = createPrivateKey({ key: { ...privateJWK }, format: 'jwk' });
  if (createPublicKey(key).export({ format: 'jwk' }).x !== privateJWK.x) throw new Error(MISMATCHED_KEY);
  return (data) => new Uint8Array(sign(null, data, key));
}
