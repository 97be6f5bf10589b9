import type { Env, ErrorCollector } from './config-error.js';
import { DEFAULTS } from './defaults.js';
import { integer } from './parse-values.js';

export type RateLimits = { -readonly [K in keyof typeof DEFAULTS.rateLimits]: number };

/** `PYLON_RATE_LIMIT_<NAME>` for each limit, e.g. PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE. */
export const RATE_LIMIT_VARIABLES: Record<keyof RateLimits, string> = {
  codeSendsPerMinute: 'PYLON_RATE_LIMIT_CODE_SENDS_PER_MINUTE',
  codeSendsPerHour: 'PYLON_RATE_LIMIT_CODE_SENDS_PER_HOUR',
  codeVerificationsPerHour: 'PYLON_RATE_LIMIT_CODE_VERIFICATIONS_PER_HOUR',
  passwordFailures: 'PYLON_RATE_LIMIT_PASSWORD_FAILURES',
  passwordFailuresPerAccountHour: 'PYLON_RATE_LIMIT_PASSWORD_FAILURES_PER_ACCOUNT_HOUR',
  signInsPerIPMinute: 'PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE',
  guestsPerIPMinute: 'PYLON_RATE_LIMIT_GUESTS_PER_IP_MINUTE',
  registrationsPerIPHour: 'PYLON_RATE_LIMIT_REGISTRATIONS_PER_IP_HOUR',
};

export function parseRateLimits(env: Env, errors: ErrorCollector): RateLimits {
  const limits = { ...DEFAULTS.rateLimits } as RateLimits;
  for (const name of Object.keys(limits) as Array<keyof RateLimits>) {
    limits[name] = errors.take(
      () => integer(env, RATE_LIMIT_VARIABLES[name], DEFAULTS.rateLimits[name], 1, 1_000_000),
      DEFAULTS.rateLimits[name],
    );
  }
  return limits;
}
