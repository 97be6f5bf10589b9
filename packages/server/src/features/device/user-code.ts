import type { Random } from '../../crypto/random.js';

/**
 * RFC 8628 §6.1 user codes: 8 characters from 20 consonants (no vowels, so no words; no lookalike
 * digits), shown as `XXXX-XXXX`, ~34.6 bits. Typed by people, so case and dashes do not matter.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

export function generateUserCode(random: Random): string {
  const limit = 256 - (256 % USER_CODE_ALPHABET.length);
  let code = '';
  while (code.length < 8) {
    for (const byte of random.bytes(8)) {
      if (byte < limit && code.length < 8) code += USER_CODE_ALPHABET[byte % USER_CODE_ALPHABET.length];
    }
  }
  return code;
}

/** `bcdf-ghjk`, `BCDFGHJK`, ` bcdf ghjk ` → `BCDFGHJK`; null when it cannot be a user code. */
export function normalizeUserCode(input: string): string | null {
  const letters = input.toUpperCase().replace(/[\s-]/g, '');
  if (letters.length !== 8) return null;
  for (const char of letters) if (!USER_CODE_ALPHABET.includes(char)) return null;
  return letters;
}

export function displayUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}
