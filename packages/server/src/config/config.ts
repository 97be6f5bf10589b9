import { isSlug, SLUG_PATTERN } from '@pylon/core';
import { ConfigError, type Env, ErrorCollector } from './config-error.js';
import { DEFAULTS } from './defaults.js';
import { type CaptchaConfig, parseCaptcha, parseHIBP } from './parse-account-protection.js';
import { parseAuditRetention } from './parse-audit.js';
import { type Brand, parseBranding } from './parse-branding.js';
import { type CFAccessConfig, parseCFAccess } from './parse-cf-access.js';
import { cookieName } from './parse-cookies.js';
import { type DatabaseConfig, parseDatabaseEnv } from './parse-database.js';
import { type JWTIssuerConfig, parseJWTIssuers } from './parse-jwt-issuers.js';
import { type JWTMintingConfig, parseJWTMinting } from './parse-jwt-minting.js';
import { type MetricsConfig, parseMetrics } from './parse-metrics.js';
import {
  checkRedirectAliases,
  type OAuthProviderConfig,
  parseOAuthProviders,
} from './parse-oauth-providers.js';
import { type OAuthServerConfig, parseOAuthServer } from './parse-oauth-server.js';
import { parseOrgHosts, parseOrgHostTemplate } from './parse-org-hosts.js';
import { parseRateLimits, type RateLimits } from './parse-rate-limits.js';
import { parseSecret } from './parse-secret.js';
import { parseSSOAllowedDomains, type SSOAllowedDomain } from './parse-sso-domains.js';
import {
  FALSE,
  FLAG_SPELLINGS,
  flag,
  integer,
  isLoopbackHost,
  oneOf,
  origin,
  read,
  TRUE,
} from './parse-values.js';
import { VARIABLE_ALIASES } from './variables.js';

// Each area's parsing lives in its own parse-*.ts; this module assembles them and stays the one
// place the rest of the server imports configuration from.
export { ConfigError, ConfigErrors } from './config-error.js';
export type { CaptchaConfig, CaptchaProvider } from './parse-account-protection.js';
export type { Brand } from './parse-branding.js';
export type { CFAccessConfig } from './parse-cf-access.js';
export type { DatabaseConfig } from './parse-database.js';
export type { JWTIssuerConfig } from './parse-jwt-issuers.js';
export type { MetricsConfig } from './parse-metrics.js';
export type { OAuthProviderConfig } from './parse-oauth-providers.js';
export type { OAuthServerConfig } from './parse-oauth-server.js';
export { RATE_LIMIT_VARIABLES, type RateLimits } from './parse-rate-limits.js';
export type { SSOAllowedDomain } from './parse-sso-domains.js';
export { isLoopbackHost } from './parse-values.js';

export type PylonEnv = 'development' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type SameSite = 'lax' | 'strict' | 'none';

export interface Config {
  readonly env: PylonEnv;
  readonly port: number;
  readonly host: string;
  readonly publicURL: string;
  readonly database: DatabaseConfig;
  /** 32 bytes as 64 hex characters; null only until the development secret is loaded (see secret-file.ts). */
  readonly secret: string | null;
  readonly adminToken: string | null;
  readonly orgId: string;
  readonly trustedOrigins: readonly string[];
  readonly trustedProxies: readonly string[];
  readonly logLevel: LogLevel;
  readonly dataDir: string;
  readonly sessionTTLSeconds: number;
  readonly cliSessionTTLSeconds: number;
  readonly cookieSameSite: SameSite;
  readonly cookieDomain: string | null;
  /** The session cookie's base name (PYLON_COOKIE_NAME); a `__Host-`/`__Secure-` prefix is added where Secure. */
  readonly cookieName: string;
  /** PYLON_COOKIE_SECURE: null decides by itself (Secure except development on loopback). */
  readonly cookieSecure: boolean | null;
  readonly bootstrapAdminEmail: string | null;
  readonly bodyLimitBytes: number;
  readonly shutdownGraceMs: number;
  readonly rateLimits: Readonly<RateLimits>;
  /** Social sign-in providers with credentials configured (`GET /providers`). */
  readonly oauthProviders: readonly OAuthProviderConfig[];
  /** Keys API key hashes; derived from PYLON_SECRET when unset. */
  readonly apiKeyPepper: string | null;
  /** External JWT issuers whose tokens are accepted as callers (PYLON_JWT_ISSUERS). */
  readonly jwtIssuers: readonly JWTIssuerConfig[];
  /** Tokens this deployment mints for other services (`POST /api/auth/jwt`). */
  readonly jwtMinting: JWTMintingConfig;
  /** Pylon as an OAuth 2.1 authorization server and OpenID Provider (PYLON_OAUTH_*). */
  readonly oauthServer: OAuthServerConfig;
  /** Orgs served at a host of their own (PYLON_ORG_HOSTS): `host[:port]` → org id. */
  readonly orgHosts: Readonly<Record<string, string>>;
  /** A host per org from its id (PYLON_ORG_HOST_TEMPLATE, e.g. `{org}.pylon.example.com`). */
  readonly orgHostTemplate: string | null;
  /**
   * PYLON_SSO_ALLOWED_DOMAINS: the only email domains an org may claim for SSO, each for any org
   * or for one; empty in production when unset; null (any domain) only in development when unset.
   */
  readonly ssoAllowedDomains: readonly SSOAllowedDomain[] | null;
  /** The Pwned Passwords range API base (PYLON_HIBP_URL); null when PYLON_DISABLE_HIBP=1. */
  readonly hibpURL: string | null;
  /** Captcha on sign-up, magic send and reset request (PYLON_CAPTCHA_*); null when off. */
  readonly captcha: CaptchaConfig | null;
  /** PYLON_AUDIT_RETENTION_DAYS: audit entries older than this are pruned; null keeps them all. */
  readonly auditRetentionDays: number | null;
  /** PYLON_METRICS_*: who may read `/metrics`, and on which port. */
  readonly metrics: MetricsConfig;
  /** PYLON_BRAND_*: the product name, logo and accent colour of the hosted pages and emails. */
  readonly brand: Brand;
  /** PYLON_CF_ACCESS_*: Cloudflare Access assertions sign people in to the hosted pages; null when off. */
  readonly cfAccess: CFAccessConfig | null;
  /**
   * Whether this deployment offers passwords (sign-up, sign-in, change, reset): true on Node; false
   * on Cloudflare Workers (docs/WORKERS.md), whose configuration sets it. Not a variable. When
   * false the password routes are not mounted and the hosted pages offer emailed codes instead.
   */
  readonly passwords: boolean;
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Earlier variable names read as the current ones (VARIABLE_ALIASES), and PYLON_DEV_MODE as
 * PYLON_ENV. Both names set to different values is an error: neither silently wins.
 */
function resolveAliases(env: Env, errors: ErrorCollector): Env {
  const resolved: Record<string, string | undefined> = { ...env };
  const adopt = (alias: string, primary: string, value: string | undefined) => {
    if (value === undefined) return;
    const current = read(env, primary);
    if (current === undefined) resolved[primary] = value;
    else if (current.toLowerCase() !== value.toLowerCase())
      errors.add(new ConfigError(alias, `conflicts with ${primary}; set only one of them`));
  };
  for (const [alias, primary] of Object.entries(VARIABLE_ALIASES)) adopt(alias, primary, read(env, alias));
  const devMode = read(env, 'PYLON_DEV_MODE')?.toLowerCase();
  if (devMode !== undefined) {
    if (TRUE.includes(devMode)) adopt('PYLON_DEV_MODE', 'PYLON_ENV', 'development');
    else if (FALSE.includes(devMode)) adopt('PYLON_DEV_MODE', 'PYLON_ENV', 'production');
    else errors.add(new ConfigError('PYLON_DEV_MODE', FLAG_SPELLINGS));
  }
  return resolved;
}

/**
 * Development mode hands out sessions for any user and returns sign-in codes in responses, so it
 * only listens on, and only advertises, loopback, unless the operator opts in by name.
 */
function checkDevelopmentStaysLocal(
  env: Env,
  host: string,
  publicURL: string | null,
  errors: ErrorCollector,
) {
  const optIn = read(env, 'PYLON_ALLOW_DEV_ON_NETWORK');
  if (optIn !== undefined && optIn !== '1' && optIn.toLowerCase() !== 'true') {
    errors.add(new ConfigError('PYLON_ALLOW_DEV_ON_NETWORK', 'must be 1 (or unset)'));
    return;
  }
  if (optIn !== undefined) return;
  const why =
    'development mode lets anyone sign in as any user and shows sign-in codes in responses; ' +
    'set PYLON_ENV=production, or PYLON_ALLOW_DEV_ON_NETWORK=1 to accept that on a trusted network';
  if (!isLoopbackHost(host)) {
    errors.add(new ConfigError('PYLON_HOST', `"${host}" is not a loopback address: ${why}`));
  }
  if (publicURL !== null && !isLoopbackHost(new URL(publicURL).hostname)) {
    errors.add(new ConfigError('PYLON_PUBLIC_URL', `"${publicURL}" is not a loopback URL: ${why}`));
  }
}

/**
 * Parse every PYLON_* variable once into a frozen, typed config. Throws ConfigError naming the
 * first bad variable. Production refuses insecure settings here so a misconfigured deployment
 * never starts rather than failing on its first request.
 */
export function loadConfig(rawEnv: Env = process.env): Config {
  const errors = new ErrorCollector();
  const take = <T>(parse: () => T, fallback: T): T => errors.take(parse, fallback);
  const env = resolveAliases(rawEnv, errors);
  const pylonEnv = take(
    () => oneOf<PylonEnv>(env, 'PYLON_ENV', ['development', 'production'], DEFAULTS.env),
    DEFAULTS.env,
  );
  const port = take(() => integer(env, 'PYLON_PORT', DEFAULTS.port, 0, 65535), DEFAULTS.port);
  const host = read(env, 'PYLON_HOST') ?? DEFAULTS.host;

  const publicRaw = read(env, 'PYLON_PUBLIC_URL');
  // Kept without a trailing slash so `${publicURL}/o/${org}` never doubles it.
  const publicParsed = take(
    () =>
      publicRaw
        ? origin('PYLON_PUBLIC_URL', publicRaw) + new URL(publicRaw).pathname.replace(/\/$/, '')
        : null,
    null,
  );
  const publicURL = publicParsed ?? `http://localhost:${port}`;

  const secret = take(() => parseSecret(env, pylonEnv === 'production'), null);

  const adminToken = read(env, 'PYLON_ADMIN_TOKEN') ?? null;
  const orgId = take(() => {
    const value = read(env, 'PYLON_ORG_ID') ?? DEFAULTS.orgId;
    if (!isSlug(value)) {
      throw new ConfigError('PYLON_ORG_ID', `"${value}" must match ${SLUG_PATTERN.source}`);
    }
    return value;
  }, DEFAULTS.orgId);

  const list = (name: string): string[] =>
    (read(env, name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');

  const trustedOrigins = take(
    () => list('PYLON_TRUSTED_ORIGINS').map((item) => origin('PYLON_TRUSTED_ORIGINS', item)),
    [],
  );
  const cookieSameSite = take(
    () => oneOf<SameSite>(env, 'PYLON_COOKIE_SAMESITE', ['lax', 'strict', 'none'], DEFAULTS.cookieSameSite),
    DEFAULTS.cookieSameSite,
  );
  const cookieSecure = take(() => flag(env, 'PYLON_COOKIE_SECURE'), null);

  if (pylonEnv === 'production') {
    if (!publicRaw || new URL(publicURL).protocol !== 'https:') {
      errors.add(new ConfigError('PYLON_PUBLIC_URL', 'must be an https:// URL in production'));
    }
    if (adminToken !== null && !/^[0-9a-f]{64,}$/i.test(adminToken)) {
      errors.add(new ConfigError('PYLON_ADMIN_TOKEN', 'must be at least 64 hex characters in production'));
    }
    if (cookieSecure === false) {
      errors.add(
        new ConfigError('PYLON_COOKIE_SECURE', 'false is refused in production: cookies must be Secure'),
      );
    }
  } else {
    checkDevelopmentStaysLocal(env, host, publicParsed, errors);
  }
  if (adminToken !== null && adminToken.length < 16) {
    errors.add(
      new ConfigError('PYLON_ADMIN_TOKEN', 'is too short (at least 16 characters; 64 hex in production)'),
    );
  }
  if (publicParsed !== null || publicRaw === undefined) checkRedirectAliases(env, publicURL, errors);

  const config: Config = {
    env: pylonEnv,
    port,
    host,
    publicURL,
    database: parseDatabaseEnv(env, errors),
    secret,
    adminToken,
    orgId,
    trustedOrigins: Object.freeze([...new Set([new URL(publicURL).origin, ...trustedOrigins])]),
    trustedProxies: Object.freeze(list('PYLON_TRUSTED_PROXIES')),
    logLevel: take(
      () => oneOf<LogLevel>(env, 'PYLON_LOG_LEVEL', LOG_LEVELS, DEFAULTS.logLevel),
      DEFAULTS.logLevel,
    ),
    dataDir: read(env, 'PYLON_DATA_DIR') ?? DEFAULTS.dataDir,
    sessionTTLSeconds: take(
      () => integer(env, 'PYLON_SESSION_TTL', DEFAULTS.sessionTTLSeconds, 60, 365 * 24 * 3600),
      DEFAULTS.sessionTTLSeconds,
    ),
    cliSessionTTLSeconds: take(
      () => integer(env, 'PYLON_CLI_SESSION_TTL', DEFAULTS.cliSessionTTLSeconds, 60, 30 * 24 * 3600),
      DEFAULTS.cliSessionTTLSeconds,
    ),
    cookieSameSite,
    cookieDomain: read(env, 'PYLON_COOKIE_DOMAIN') ?? null,
    cookieName: take(() => cookieName(env), DEFAULTS.cookieName),
    cookieSecure,
    bootstrapAdminEmail: read(env, 'PYLON_BOOTSTRAP_ADMIN_EMAIL')?.toLowerCase() ?? null,
    bodyLimitBytes: take(
      () => integer(env, 'PYLON_BODY_LIMIT', DEFAULTS.bodyLimitBytes, 1024, 64 * 1024 * 1024),
      DEFAULTS.bodyLimitBytes,
    ),
    shutdownGraceMs: take(
      () => integer(env, 'PYLON_SHUTDOWN_GRACE_MS', DEFAULTS.shutdownGraceMs, 0, 600_000),
      DEFAULTS.shutdownGraceMs,
    ),
    rateLimits: Object.freeze(parseRateLimits(env, errors)),
    oauthProviders: Object.freeze(parseOAuthProviders(env, pylonEnv, errors)),
    apiKeyPepper: take(() => parseAPIKeyPepper(env), null),
    jwtIssuers: Object.freeze(take(() => parseJWTIssuers(env, pylonEnv), [])),
    jwtMinting: Object.freeze(
      take(() => parseJWTMinting(env), {
        issuer: null,
        lifetimeSeconds: DEFAULTS.jwtLifetimeSeconds,
        secret: null,
      }),
    ),
    oauthServer: Object.freeze(parseOAuthServer(env, errors)),
    orgHosts: Object.freeze(take(() => parseOrgHosts(env), {})),
    orgHostTemplate: take(() => parseOrgHostTemplate(env), null),
    ssoAllowedDomains: take(() => parseSSOAllowedDomains(env, pylonEnv), Object.freeze([])),
    hibpURL: parseHIBP(env, pylonEnv, errors),
    captcha: parseCaptcha(env, pylonEnv, errors),
    auditRetentionDays: take(() => parseAuditRetention(env), null),
    metrics: parseMetrics(env, pylonEnv, port, errors),
    brand: parseBranding(env, pylonEnv, errors),
    cfAccess: take(() => {
      const parsed = parseCFAccess(env, pylonEnv);
      return parsed === null ? null : Object.freeze(parsed);
    }, null),
    passwords: true,
  };
  errors.throwIfAny();
  return Object.freeze(config);
}

function parseAPIKeyPepper(env: Env): string | null {
  const pepper = read(env, 'PYLON_API_KEY_PEPPER');
  if (pepper !== undefined && pepper.length < 32)
    throw new ConfigError('PYLON_API_KEY_PEPPER', 'must be at least 32 characters');
  return pepper ?? null;
}

/**
 * Whether cookies may omit `Secure`: development served on a loopback host, unless
 * PYLON_COOKIE_SECURE says otherwise (`false` is refused outside development). Asked by every
 * request that reads or sets a cookie, so the public URL is parsed once per configuration (a
 * configuration is frozen: its answer cannot change).
 */
export function isInsecureLocalDevelopment(config: Config): boolean {
  let insecure = insecureByConfig.get(config);
  if (insecure === undefined) {
    insecure =
      config.cookieSecure !== null
        ? !config.cookieSecure
        : config.env === 'development' && isLoopbackHost(new URL(config.publicURL).hostname);
    insecureByConfig.set(config, insecure);
  }
  return insecure;
}

const insecureByConfig = new WeakMap<Config, boolean>();

/** PYLON_ENV as declared (PYLON_DEV_MODE counted), for reading other settings when config failed. */
export function declaredEnvironment(env: Env): PylonEnv {
  const resolved = resolveAliases(env, new ErrorCollector());
  return read(resolved, 'PYLON_ENV')?.toLowerCase() === 'production' ? 'production' : 'development';
}

/** The same config with a secret filled in (the development secret file supplies it). */
export function withSecret(config: Config, secret: string): Config {
  return Object.freeze({ ...config, secret });
}
