import { createHash } from 'node:crypto';

/** Trim and lowercase: the one normal form an email address is stored and compared in. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** `sha256(lowercase(trim(email)))` in hex — the key grants are stored under (CONTRACT §3). */
export function hashEmail(email: string): string {
  return createHash('sha256').update(normalizeEmail(email), 'utf8').digest('hex');
}
