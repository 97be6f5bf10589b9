import { PylonError } from '@pylon/core';
import { checkPasswordPolicy } from '../../platform/password.js';

/** WEAK_PASSWORD before any hashing: an over-long password is refused without spending Argon2 on it. */
export function requireStrongPassword(password: unknown, field = 'password'): string {
  if (typeof password !== 'string') throw new PylonError(400, 'WEAK_PASSWORD', `${field} is required`);
  const verdict = checkPasswordPolicy(password);
  if (verdict === 'too_short')
    throw new PylonError(400, 'WEAK_PASSWORD', `${field} must be at least 10 characters`);
  if (verdict === 'too_long')
    throw new PylonError(400, 'WEAK_PASSWORD', `${field} must be at most 256 characters`);
  return password;
}
