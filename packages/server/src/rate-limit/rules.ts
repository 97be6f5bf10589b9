import type { RateLimits } from '../config/config.js';
import type { LockoutPolicy } from './lockout.js';
import type { RateLimitRule } from './rate-limiter.js';

/** Every identity rate limit (docs/API.md "Identity"), built once from the configured numbers. */
export interface IdentityLimits {
  codeSends: RateLimitRule[];
  codeVerifications: RateLimitRule;
  passwordLockout: LockoutPolicy;
  passwordFailuresPerAccount: RateLimitRule;
  signInsPerIP: RateLimitRule;
  guestsPerIP: RateLimitRule;
  registrationsPerIP: RateLimitRule;
}

export function identityLimits(limits: RateLimits): IdentityLimits {
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
    passwordLockout: {
      name: 'password_fail',
      threshold: limits.passwordFailures,
      windowSeconds: 15 * 60,
      baseLockSeconds: 60,
      maxLockSeconds: 24 * 3600,
    },
    passwordFailuresPerAccount: {
      name: 'password_fail_account',
      limit: limits.passwordFailuresPerAccountHour,
      windowSeconds: 3600,
    },
    signInsPerIP: { name: 'sign_in_ip', limit: limits.signInsPerIPMinute, windowSeconds: 60 },
    guestsPerIP: { name: 'guest_ip', limit: limits.guestsPerIPMinute, windowSeconds: 60 },
    registrationsPerIP: {
      name: 'register_ip',
      limit: limits.registrationsPerIPHour,
      windowSeconds: 3600,
    },
  };
}
