import {
  chacha20Poly1305Open,
  chacha20Poly1305Seal,
  hkdfSha256,
  sha256Hex,
} from '../platform/node-crypto.js';
import { fromBase64URL, type Random, toBase64URL } from './random.js';

/**
 * Where a sealed value lives. It is bound into the AEAD's associated data, so a sealed value
 * copied to another row, column or table fails to open.
 */
export interface SealLocation {
  table: string;
  column: string;
  row: string;
}

export class SealError extends Error {
  override readonly name = 'SealError';
}

/** Seals and opens secrets at rest with ChaCha20-Poly1305 under a key derived from PYLON_SECRET. */
export interface Sealer {
  /** Identifies the secret the key came from; stored in every envelope for future rotation. */
  readonly keyId: string;
  seal(plaintext: string, location: SealLocation): string;
  open(envelope: string, location: SealLocation): string;
}

const VERSION = 'v1';
const NONCE_BYTES = 12;

function associatedData(location: SealLocation): Uint8Array {
  // Length-prefixed so no two distinct locations encode to the same bytes.
  const parts = [location.table, location.column, location.row].map((part) => `${part.length}:${part}`);
  return new TextEncoder().encode(`pylon-seal|${parts.join('|')}`);
}

/**
 * Envelope: `v1.<keyId>.<nonce b64url>.<ciphertext+tag b64url>`. The nonce is 96 random bits,
 * fresh for every seal (RFC 8439 §2.8 requires a nonce never repeat under one key).
 */
export function createSealer(secretHex: string, random: Random): Sealer {
  const key = hkdfSha256(Buffer.from(secretHex, 'hex'), 'pylon/seal/v1');
  const keyId = sha256Hex(key).slice(0, 8);
  return {
    keyId,
    seal(plaintext, location) {
      const nonce = random.bytes(NONCE_BYTES);
      const sealed = chacha20Poly1305Seal(
        key,
        nonce,
        associatedData(location),
        new TextEncoder().encode(plaintext),
      );
      return [VERSION, keyId, toBase64URL(nonce), toBase64URL(sealed)].join('.');
    },
    open(envelope, location) {
      const parts = envelope.split('.');
      if (parts.length !== 4 || parts[0] !== VERSION) throw new SealError('not a sealed value');
      if (parts[1] !== keyId) throw new SealError('sealed under another secret');
      const nonce = fromBase64URL(parts[2]!);
      if (nonce.length !== NONCE_BYTES) throw new SealError('bad nonce');
      try {
        const plaintext = chacha20Poly1305Open(
          key,
          nonce,
          associatedData(location),
          fromBase64URL(parts[3]!),
        );
        return new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
      } catch {
        throw new SealError('sealed value failed to authenticate');
      }
    },
  };
}
