import { isDisplaySafe } from './display-text.js';
import { sha256Hex } from './sha256.js';

/** Trim and lowercase: the one normal form an email address is stored and compared in. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** `sha256(lowercase(trim(email)))` in hex — the key grants are stored under (`POST /roles`). */
export function hashEmail(email: string): string {
  return sha256Hex(normalizeEmail(email));
}

const EMAIL_PATTERN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  /^[^\s\x00-\x1f\x7f@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/**
 * A plausible single mailbox (RFC 5321 length limits, no whitespace, control characters, CR/LF or
 * display names), checked on the normalised form. A non-ASCII local part (RFC 6531) is accepted
 * when it is already in NFKC form and has no Unicode control or format character: fullwidth and
 * other compatibility characters, decomposed accents and bidi or zero-width characters would let
 * an address pass for another one in member lists and on the consent page. Deliverability is
 * proven by the emailed code, not here.
 */
export function isValidEmail(email: string): boolean {
  const normalized = normalizeEmail(email);
  return (
    normalized.length <= 254 &&
    normalized.split('@')[0]!.length <= 64 &&
    EMAIL_PATTERN.test(normalized) &&
    isDisplaySafe(email.trim()) &&
    isDisplaySafe(normalized)
  );
}
