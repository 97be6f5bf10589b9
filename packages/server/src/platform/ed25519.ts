import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { createRequire } from 'node:module';

/** A private Ed25519 key as a JWK (RFC 8037 §2): `d` is the 32-byte seed, `x` the public key. */
export interface Ed25519PrivateJWK {
  kty: string;
  crv: string;
  x: string;
  d: string;
}

/** The part of libsodium (through the `sodium-native` addon) that signs. */
interface Sodium {
  sodium_malloc(size: number): Uint8Array;
  crypto_sign_seed_keypair(publicKey: Uint8Array, secretKey: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
}

/** Which implementation signs: libsodium when its prebuilt addon loads here, else node:crypto. */
export type Ed25519Backend = 'libsodium' | 'node:crypto';

function loadSodium(): Sodium | null {
  try {
    return createRequire(import.meta.url)('sodium-native') as Sodium;
  } catch {
    // No prebuilt addon for this platform (or it failed to load): node:crypto signs instead.
    return null;
  }
}

const sodium = loadSodium();

/** The implementation `ed25519Signer` uses by default in this process. */
export const ed25519Backend: Ed25519Backend = sodium ? 'libsodium' : 'node:crypto';

/**
 * What `serve` says at start-up when libsodium did not load (null when it did): tokens still sign,
 * with the same bytes, at about twice the CPU each, and an operator should know why.
 */
export function signingBackendWarning(backend: Ed25519Backend): string | null {
  if (backend === 'libsodium') return null;
  return (
    'Ed25519 signatures use node:crypto: the libsodium addon (sodium-native) has no prebuilt binary ' +
    `for ${process.platform}-${process.arch} here, so each token costs about twice the CPU (docs/OPERATIONS.md, Signing keys)`
  );
}

/**
 * An Ed25519 signing function for a private JWK. Ed25519 signatures are deterministic
 * (RFC 8032 §5.1.6), so both backends give the same bytes for the same key and message; they
 * differ in cost: libsodium signs in about half of node:crypto's ~50 µs (OpenSSL 3 sets up a
 * signing context on every call), which is most of `POST /token`'s time. WebCrypto's
 * `subtle.sign` hops to the thread pool and costs more still. Kept in `platform/`: Workers use
 * `ed25519-web.ts`.
 */
export function ed25519Signer(
  privateJWK: Ed25519PrivateJWK,
  backend: Ed25519Backend = ed25519Backend,
): (data: Uint8Array) => Uint8Array {
  if (backend === 'libsodium') {
    if (!sodium) throw new Error('libsodium (sodium-native) is not available on this platform');
    return sodiumSigner(sodium, privateJWK);
  }
  const key = createPrivateKey({ key: { ...privateJWK }, format: 'jwk' });
  if (createPublicKey(key).export({ format: 'jwk' }).x !== privateJWK.x) {
    throw new Error("the JWK's x is not the public key of its d");
  }
  return (data) => new Uint8Array(sign(null, data, key));
}

function sodiumSigner(lib: Sodium, jwk: Ed25519PrivateJWK): (data: Uint8Array) => Uint8Array {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw new Error('not an Ed25519 private JWK');
  const seed = Buffer.from(jwk.d, 'base64url');
  if (seed.length !== 32) throw new Error('an Ed25519 private key is a 32-byte seed');
  // Guarded memory (libsodium's sodium_malloc: page-aligned, locked, freed with the buffer).
  const secretKey = lib.sodium_malloc(64);
  const publicKey = Buffer.alloc(32);
  lib.crypto_sign_seed_keypair(publicKey, secretKey, seed);
  seed.fill(0);
  // A JWK whose x is not d's public key would sign tokens no published key verifies.
  if (publicKey.toString('base64url') !== jwk.x) {
    throw new Error("the JWK's x is not the public key of its d");
  }
  return (data) => {
    const signature = Buffer.allocUnsafe(64);
    lib.crypto_sign_detached(signature, data, secretKey);
    return signature;
  };
}
