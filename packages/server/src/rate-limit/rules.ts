import type { RateLimits } from '../config/config.js';
import type { LockoutPolicy } from './lockout.js';
import type { RateLimitRule } from './rate-limiter.js';

/**
 * The limits on guessing one kind of secret: a lockout per (IP, account) pair, so that one
 * guesser's failures never lock the account's owner out from elsewhere, and an hourly budget per
 * account across every address, which a guesser spread over many addresses meets instead.
 */
export interface GuessLimits {
  lockout: LockoutPolicy;
  perAccount: RateLimitRule;
  /** What a refused guess's RATE_LIMITED tells the person to do. */
  hint: string;
}

/** Every identity rate limit (docs/API.md "Identity"), built once from the configured numbers. */
export interface IdentityLimits {
  codeSends: RateLimitRule[];
  codeVerifications: RateLimitRule;
  /** Passwords, at sign-in and wherever the current one is asked for again. */
  passwordGuesses: GuessLimits;
  /** TOTP and backup codes: the same numbers as passwords, counted apart from them. */
  secondFactorGuesses: GuessLimits;
  signInsPerIP: RateLimitRule;
  guestsPerIP: RateLimitRule;
  registrationsPerIP: RateLimitRule;
}

export function identityLimits(limits: RateLimits): IdentityLimits {
  const guesses = (name: string, hint: string): GuessLimits => ({
    lockout: {
      name: `${name}_fail`,
      threshold: limits.passwordFailures,
      windowSeconds: 15 * 60,
      baseLockSeconds: 60,
      maxLockSeconds: 24 * 3600,
    },
    perAccount: {
      name: `${name}_fail_account`,
      limit: limits.passwordFailuresPerAccountHour,
      windowSeconds: 3600,
    },
    hint,
  });
  return {
    codeSends: [
      { name: 'code_send_minute', limit: limits.codeSendsPerMinute, windowSeconds: 60 },
      { name: 'code_send_hour', limit: limits.codeSendsPerHour, windowSeconds: 3600 },
    ],
    codeVerifications: {
      name: 'code_verify_hour',
      limit: limits.codeVerificationsPerHour,
      windowSeconds: 3600,
    },
    passwordGuesses: guesses('password', 'Too many failed attempts: wait, or sign in with an emailed code'),
    secondFactorGuesses: guesses('totp', 'Too many wrong codes: wait, then try again'),
    signInsPerIP: { name: 'sign_in_ip', limit: limits.signInsPerIPMinute, windowSeconds: 60 },
    guestsPerIP: { name: 'guest_ip', limit: limits.guestsPerIPMinute, windowSeconds: 60 },
    registrationsPerIP: {
      name: 'register_ip',
      limit: limits.registrationsPerIPHour,
      windowSeconds: 3600,
    },
  };
}
