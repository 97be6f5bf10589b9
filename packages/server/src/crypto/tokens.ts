import { sha256Hex } from '../platform/node-crypto.js';
import { type Random, toBase64URL, toHex } from './random.js';

/** Session tokens: `pylon_` + 64 hex = 256 bits from the CSPRNG. */
export function generateSessionToken(random: Random): string {
  return `pylon_${toHex(random.bytes(32))}`;
}

/** App tokens: `pyat_` + 43 base64url characters = 256 bits. */
export function generateAppToken(random: Random): string {
  return `pyat_${toBase64URL(random.bytes(32))}`;
}

/** Any other opaque secret: `prefix` + `bytes` random bytes as hex. */
export function generatePrefixedToken(random: Random, prefix: string, bytes = 32): string {
  return `${prefix}${toHex(random.bytes(bytes))}`;
}

/** What is stored instead of a token: its SHA-256 in hex, looked up by index. */
export function hashToken(token: string): string {
  return sha256Hex(token);
}
