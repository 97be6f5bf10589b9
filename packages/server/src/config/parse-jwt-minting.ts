import { ConfigError, type Env } from './config-error.js';
import { DEFAULTS } from './defaults.js';
import { integer, read } from './parse-values.js';

/** How `POST /api/auth/jwt` mints tokens for other services. */
export interface JWTMintingConfig {
  /** `iss`; null means the deployment's public URL. */
  readonly issuer: string | null;
  readonly lifetimeSeconds: number;
  /**
   * PYLON_JWT_SECRET: when set, tokens are HS256 under it (what the earlier Pylon did, for services
   * that still verify that way); when unset, EdDSA under the deployment's published key set.
   */
  readonly secret: string | null;
}

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (256 bits). */
const MIN_SECRET_BYTES = 32;

export function parseJWTMinting(env: Env): JWTMintingConfig {
  const secret = read(env, 'PYLON_JWT_SECRET') ?? null;
  if (secret !== null && Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES)
    throw new ConfigError('PYLON_JWT_SECRET', `must be at least ${MIN_SECRET_BYTES} bytes`);
  return {
    issuer: read(env, 'PYLON_JWT_ISSUER') ?? null,
    lifetimeSeconds: integer(env, 'PYLON_JWT_LIFETIME_SECS', DEFAULTS.jwtLifetimeSeconds, 30, 24 * 3600),
    secret,
  };
}
