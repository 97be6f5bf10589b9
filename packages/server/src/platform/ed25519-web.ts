import { createPrivateKey, createPublicKey, sign } from 'node:crypto';

// The Workers variant of `ed25519.ts` (swapped in by scripts/build-worker.mjs): no native addon
// there, so node:crypto (the `nodejs_compat` flag) signs. Same exports, same signatures.

/** A private Ed25519 key as a JWK (RFC 8037 §2): `d` is the 32-byte seed, `x` the public key. */
export interface Ed25519PrivateJWK {
  kty: string;
  crv: string;
  x: string;
  d: string;
}

export type Ed25519Backend = 'libsodium' | 'node:crypto';

export const ed25519Backend: Ed25519Backend = 'node:crypto';

/** An Ed25519 signing function for a private JWK (node:crypto; see `ed25519.ts`). */
export function ed25519Signer(
  privateJWK: Ed25519PrivateJWK,
  backend: Ed25519Backend = ed25519Backend,
): (data: Uint8Array) => Uint8Array {
  if (backend !== 'node:crypto') throw new Error(`${backend} is not available on Workers`);
  const key = createPrivateKey({ key: { ...privateJWK }, format: 'jwk' });
  if (createPublicKey(key).export({ format: 'jwk' }).x !== privateJWK.x) {
    throw new Error("the JWK's x is not the public key of its d");
  }
  return (data) => new Uint8Array(sign(null, data, key));
}

/** Workers have no addon to miss: nothing to say. */
export function signingBackendWarning(_backend: Ed25519Backend): string | null {
  return null;
}
