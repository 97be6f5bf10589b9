import { type Ed25519Backend, type Ed25519PrivateJWK, nodeCryptoSigner } from './ed25519-node-crypto.js';

// The Workers variant of `ed25519.ts` (swapped in by scripts/build-worker.mjs): no native addon
// there, so node:crypto (the `nodejs_compat` flag) signs. Same exports, same signatures.

export type { Ed25519Backend, Ed25519PrivateJWK };

export const ed25519Backend: Ed25519Backend = 'node:crypto';

/** An Ed25519 signing function for a private JWK (node:crypto; see `ed25519.ts`). */
export function ed25519Signer(
  privateJWK: Ed25519PrivateJWK,
  backend: Ed25519Backend = ed25519Backend,
): (data: Uint8Array) => Uint8Array {
  if (backend !== 'node:crypto') throw new Error(`${backend} is not available on Workers`);
  return nodeCryptoSigner(privateJWK);
}

/** Workers have no addon to miss: nothing to say. */
export function signingBackendWarning(_backend: Ed25519Backend): string | null {
  return null;
}
