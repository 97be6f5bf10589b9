import { createPrivateKey, sign } from 'node:crypto';

/**
 * An Ed25519 signing function for a private JWK. node:crypto signs synchronously in ~50 µs;
 * WebCrypto's `subtle.sign` hops to the thread pool and costs several times that on the
 * `POST /token` hot path. Kept in `platform/`: another runtime supplies its own.
 */
export function ed25519Signer(privateJWK: {
  kty: string;
  crv: string;
  x: string;
  d: string;
}): (data: Uint8Array) => Uint8Array {
  const key = createPrivateKey({ key: privateJWK, format: 'jwk' });
  return (data) => new Uint8Array(sign(null, data, key));
}
