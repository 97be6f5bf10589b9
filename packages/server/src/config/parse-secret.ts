import { ConfigError, type Env } from './config-error.js';
import { read } from './parse-values.js';

const HEX64 = /^[0-9a-f]{64}$/i;

/**
 * A secret made by `openssl rand -hex 32` uses at least this many of the 16 hex digits: fewer
 * happens to a random one with a probability below 10⁻¹⁸ (at most C(16, 7) × (7/16)⁶⁴), so only a
 * typed or placeholder value (`00…0`, `abab…`, `deadbeef…`) is refused.
 */
export const MIN_DISTINCT_HEX_DIGITS = 8;

/** A block repeated to fill the secret is refused up to this length (16 bytes; chance 16⁻³²). */
const LONGEST_REPEATED_BLOCK = 32;

/**
 * PYLON_SECRET: 32 bytes as 64 hex characters, lower-cased; null when unset, which production
 * refuses (development generates one, boot.ts). Production also refuses a value that is plainly
 * not random (see `notRandom`), since every sealed value and derived key rests on it.
 */
export function parseSecret(env: Env, production: boolean): string | null {
  const value = read(env, 'PYLON_SECRET') ?? null;
  if (value === null) {
    if (production) throw new ConfigError('PYLON_SECRET', 'is required in production (64 hex characters)');
    return null;
  }
  if (!HEX64.test(value)) {
    throw new ConfigError(
      'PYLON_SECRET',
      'must be 64 hex characters (32 bytes); generate one with `openssl rand -hex 32`',
    );
  }
  const secret = value.toLowerCase();
  const why = production ? notRandom(secret) : null;
  if (why !== null) {
    throw new ConfigError(
      'PYLON_SECRET',
      `is not random (${why}); generate one with \`openssl rand -hex 32\``,
    );
  }
  return secret;
}

/** Why 64 lower-case hex characters cannot have come from a random generator; null if they could. */
export function notRandom(secret: string): string | null {
  const distinct = new Set(secret).size;
  if (distinct < MIN_DISTINCT_HEX_DIGITS) {
    return `it has only ${distinct} distinct hex digits`;
  }
  for (let block = 1; block <= LONGEST_REPEATED_BLOCK; block++) {
    if (secret.slice(block) === secret.slice(0, secret.length - block)) {
      return `it repeats a block of ${block} hex characters`;
    }
  }
  return null;
}
