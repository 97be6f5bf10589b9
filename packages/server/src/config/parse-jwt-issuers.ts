import type { PylonEnv } from './config.js';
import { ConfigError, type Env } from './config-error.js';
import { DEFAULTS } from './defaults.js';
import { providerURL, read } from './parse-values.js';

export interface JWTIssuerConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksURL: string;
  readonly userIdClaim: string;
  readonly emailClaim: string;
  readonly rolesClaim: string | null;
  /** Also read the token from this header (an identity-aware proxy's, e.g. Cf-Access-Jwt-Assertion). */
  readonly header: string | null;
  /**
   * Whether this issuer's email claim counts as proof of the address (with `email_verified: true`
   * in the token). Off by default: an issuer that lets anyone sign up would otherwise let anyone
   * claim any address, and with it that address's grants.
   */
  readonly trustEmail: boolean;
  /** The longest lifetime a token may claim (`exp - iat`), in seconds. */
  readonly maxLifetimeSeconds: number;
}

/**
 * PYLON_JWT_ISSUERS: a JSON list of `{issuer, audience, jwks_url, user_id_claim?, email_claim?,
 * roles_claim?, header?, trust_email?, max_lifetime_seconds?}`.
 */
export function parseJWTIssuers(env: Env, pylonEnv: PylonEnv): JWTIssuerConfig[] {
  const raw = read(env, 'PYLON_JWT_ISSUERS');
  if (raw === undefined) return [];
  const name = 'PYLON_JWT_ISSUERS';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, 'is not valid JSON');
  }
  if (!Array.isArray(parsed)) throw new ConfigError(name, 'must be a JSON list of issuers');
  const text = (entry: Record<string, unknown>, key: string, fallback?: string): string => {
    const value = entry[key] ?? fallback;
    if (typeof value !== 'string' || value === '')
      throw new ConfigError(name, `every issuer needs a string "${key}"`);
    return value;
  };
  const flag = (entry: Record<string, unknown>, key: string): boolean => {
    const value = entry[key] ?? false;
    if (typeof value !== 'boolean') throw new ConfigError(name, `"${key}" must be true or false`);
    return value;
  };
  const lifetime = (entry: Record<string, unknown>): number => {
    const value = entry.max_lifetime_seconds ?? DEFAULTS.externalJWTMaxLifetimeSeconds;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
      throw new ConfigError(name, '"max_lifetime_seconds" must be a positive whole number');
    return value;
  };
  return parsed.map((item: unknown) => {
    if (typeof item !== 'object' || item === null)
      throw new ConfigError(name, 'every issuer must be an object');
    const entry = item as Record<string, unknown>;
    return {
      issuer: text(entry, 'issuer'),
      audience: text(entry, 'audience'),
      jwksURL: providerURL(name, text(entry, 'jwks_url'), pylonEnv),
      userIdClaim: text(entry, 'user_id_claim', 'sub'),
      emailClaim: text(entry, 'email_claim', 'email'),
      rolesClaim: entry.roles_claim === undefined ? null : text(entry, 'roles_claim'),
      header: entry.header === undefined ? null : text(entry, 'header').toLowerCase(),
      trustEmail: flag(entry, 'trust_email'),
      maxLifetimeSeconds: lifetime(entry),
    };
  });
}
