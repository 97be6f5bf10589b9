import { createRequire } from 'node:module';
import {
  type Ed25519Backend,
  type Ed25519PrivateJWK,
  MISMATCHED_KEY,
  nodeCryptoSigner,
} from './ed25519-node-crypto.js';

export type { Ed25519Backend, Ed25519PrivateJWK };

/** The part of libsodium (through the `sodium-native` addon) that signs. */
interface Sodium {
  sodium_malloc(size: number): Uint8Array;
  crypto_sign_seed_keypair(publicKey: Uint8Array, secretKey: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
}

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
  return nodeCryptoSigner(privateJWK);
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
  if (publicKey.toString('base64url') !== jwk.x) throw new Error(MISMATCHED_KEY);
  return (data) => {
    const signature = Buffer.allocUnsafe(64);
    lib.crypto_sign_detached(signature, data, secretKey);
    return signature;
  };
}
