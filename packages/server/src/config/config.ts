import { isIP } from 'node:net';
import { DEFAULTS } from './defaults.js';
import { VARIABLE_ALIASES } from './variables.js';

export type PylonEnv = 'development' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type SameSite = 'lax' | 'strict' | 'none';

export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string; readonly url: string }
  | { readonly kind: 'postgres'; readonly url: string };

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
  /** Orgs served at a host of their own (PYLON_ORG_HOSTS): `host[:port]` → org id. */
  readonly orgHosts: Readonly<Record<string, string>>;
  /** A host per org from its id (PYLON_ORG_HOST_TEMPLATE, e.g. `{org}.pylon.example.com`). */
  readonly orgHostTemplate: string | null;
  /** PYLON_SSO_ALLOWED_DOMAINS, lowercased: when set, the only email domains an org may claim for SSO. */
  readonly ssoAllowedDomains: readonly string[] | null;
}

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

export type OAuthProviderConfig =
  | {
      readonly id: 'google';
      readonly kind: 'oidc';
      readonly clientId: string;
      readonly clientSecret: string;
      /** OpenID Connect issuer; its discovery document names every endpoint. */
      readonly issuer: string;
      /** The `scope` requested (RFC 6749 §3.3); always holds `openid` and `email`. */
      readonly scopes: readonly string[];
    }
  | {
      readonly id: 'github';
      readonly kind: 'github';
      readonly clientId: string;
      readonly clientSecret: string;
      /** Where `/login/oauth/authorize` and `/login/oauth/access_token` live. */
      readonly webURL: string;
      /** Where `/user` and `/user/emails` live. */
      readonly apiURL: string;
      /** The `scope` requested; always grants `/user/emails` (`user:email` or `user`). */
      readonly scopes: readonly string[];
    };

export type RateLimits = { -readonly [K in keyof typeof DEFAULTS.rateLimits]: number };

/** A configuration value Pylon refuses; the message always names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/**
 * Every refused value at once, so one restart fixes them all. `variable` is the first one's, and
 * the message lists each on its own line.
 */
export class ConfigErrors extends ConfigError {
  constructor(readonly errors: readonly ConfigError[]) {
    super(errors[0]!.variable, '');
    this.message = errors.map((error) => error.message).join('\n');
  }
}

/** Collects ConfigErrors (the first per variable) while the rest of the config is still parsed. */
class ErrorCollector {
  readonly errors: ConfigError[] = [];

  add(error: ConfigError): void {
    const all = error instanceof ConfigErrors ? error.errors : [error];
    for (const one of all) {
      if (!this.errors.some((seen) => seen.variable === one.variable)) this.errors.push(one);
    }
  }

  /** The parsed value, or `fallback` with the error recorded. */
  take<T>(parse: () => T, fallback: T): T {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.add(error);
      return fallback;
    }
  }

  has(variable: string): boolean {
    return this.errors.some((error) => error.variable === variable);
  }

  throwIfAny(): void {
    if (this.errors.length === 1) throw this.errors[0]!;
    if (this.errors.length > 1) throw new ConfigErrors(this.errors);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const ORG_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$/;
const HEX64 = /^[0-9a-f]{64}$/i;
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}`);
  }
  return raw as T;
}

function origin(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `"${value}" is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `"${value}" must be http or https`);
  }
  return url.origin;
}

function parseDatabase(raw: string): DatabaseConfig {
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError('PYLON_DATABASE_URL', 'sqlite: needs a file path');
    return { kind: 'sqlite', path, url: raw };
  }
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('PYLON_DATABASE_URL', 'is not a valid postgres:// URL');
    }
    return { kind: 'postgres', url: raw };
  }
  throw new ConfigError('PYLON_DATABASE_URL', 'must start with sqlite: or postgres://');
}

/** localhost, 127.0.0.0/8 or ::1 (a URL's `[::1]` too); not names that merely start with "127.". */
export function isLoopbackHost(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost') return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  return isIP(name) === 6 && new URL(`http://[${name}]`).hostname === '[::1]';
}

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
    else errors.add(new ConfigError('PYLON_DEV_MODE', 'must be true or false'));
  }
  return resolved;
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

function flag(env: Env, name: string): boolean | null {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return null;
  if (TRUE.includes(raw)) return true;
  if (FALSE.includes(raw)) return false;
  throw new ConfigError(name, 'must be true or false');
}

/** RFC 6265 §4.1.1: a cookie name is a token. The Secure prefixes are Pylon's to add. */
function cookieName(env: Env): string {
  const name = read(env, 'PYLON_COOKIE_NAME') ?? DEFAULTS.cookieName;
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/.test(name))
    throw new ConfigError(
      'PYLON_COOKIE_NAME',
      'must be 1–64 cookie-name characters (letters, digits, - _ .)',
    );
  if (/^__(host|secure)-/i.test(name))
    throw new ConfigError('PYLON_COOKIE_NAME', 'must not carry a __Host-/__Secure- prefix: Pylon adds it');
  return name;
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

  const secret = take(() => {
    const value = read(env, 'PYLON_SECRET') ?? null;
    if (value !== null && !HEX64.test(value)) {
      throw new ConfigError(
        'PYLON_SECRET',
        'must be 64 hex characters (32 bytes); generate one with `openssl rand -hex 32`',
      );
    }
    return value;
  }, null);

  const adminToken = read(env, 'PYLON_ADMIN_TOKEN') ?? null;
  const orgId = take(() => {
    const value = read(env, 'PYLON_ORG_ID') ?? DEFAULTS.orgId;
    if (!ORG_ID_PATTERN.test(value)) {
      throw new ConfigError('PYLON_ORG_ID', `"${value}" must match ${ORG_ID_PATTERN.source}`);
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
    if (secret === null && !errors.has('PYLON_SECRET')) {
      errors.add(new ConfigError('PYLON_SECRET', 'is required in production (64 hex characters)'));
    }
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
    database: take(
      () => parseDatabase(read(env, 'PYLON_DATABASE_URL') ?? DEFAULTS.databaseURL),
      parseDatabase(DEFAULTS.databaseURL),
    ),
    secret: secret?.toLowerCase() ?? null,
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
    orgHosts: Object.freeze(take(() => parseOrgHosts(env), {})),
    orgHostTemplate: take(() => parseOrgHostTemplate(env), null),
    ssoAllowedDomains:
      read(env, 'PYLON_SSO_ALLOWED_DOMAINS') === undefined
        ? null
        : Object.freeze(list('PYLON_SSO_ALLOWED_DOMAINS').map((domain) => domain.toLowerCase())),
  };
  errors.throwIfAny();
  return Object.freeze(config);
}

/**
 * PYLON_OAUTH_<PROVIDER>_REDIRECT (earlier docs): Pylon derives each callback from PYLON_PUBLIC_URL,
 * so the old variable is accepted when it names that same URI and refused when it would not work.
 */
function checkRedirectAliases(env: Env, publicURL: string, errors: ErrorCollector): void {
  for (const provider of ['google', 'github']) {
    const name = `PYLON_OAUTH_${provider.toUpperCase()}_REDIRECT`;
    const value = read(env, name)?.replace(/\/+$/, '');
    const expected = `${publicURL}/api/auth/callback/${provider}`;
    if (value !== undefined && value !== expected) {
      errors.add(
        new ConfigError(
          name,
          `Pylon's callback is ${expected} (from PYLON_PUBLIC_URL): set PYLON_PUBLIC_URL to match, or unset ${name}`,
        ),
      );
    }
  }
  if (read(env, 'PYLON_OAUTH_GITHUB_OIDC_ISSUER') !== undefined) {
    errors.add(
      new ConfigError(
        'PYLON_OAUTH_GITHUB_OIDC_ISSUER',
        'GitHub sign-in is OAuth 2.0 without an OpenID issuer: use PYLON_GITHUB_URL and PYLON_GITHUB_API_URL',
      ),
    );
  }
}

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

function parseRateLimits(env: Env, errors: ErrorCollector): RateLimits {
  const limits = { ...DEFAULTS.rateLimits } as RateLimits;
  for (const name of Object.keys(limits) as Array<keyof RateLimits>) {
    limits[name] = errors.take(
      () => integer(env, RATE_LIMIT_VARIABLES[name], DEFAULTS.rateLimits[name], 1, 1_000_000),
      DEFAULTS.rateLimits[name],
    );
  }
  return limits;
}

/**
 * A provider URL: https, or http only to a loopback host in development (a local test peer).
 * Kept without a trailing slash.
 */
function providerURL(name: string, value: string, env: PylonEnv): string {
  const parsed = new URL(origin(name, value));
  if (parsed.protocol !== 'https:' && !(env === 'development' && isLoopbackHost(parsed.hostname))) {
    throw new ConfigError(name, 'must be https (http only for a loopback host in development)');
  }
  return value.replace(/\/+$/, '');
}

/**
 * A provider's `scope` (RFC 6749 §3.3: space-separated scope-tokens; commas accepted too), which
 * must keep what sign-in itself needs.
 */
function scopes(
  env: Env,
  name: string,
  fallback: string,
  required: readonly (readonly string[])[],
): string[] {
  const list = (read(env, name) ?? fallback).split(/[\s,]+/).filter((item) => item !== '');
  if (list.some((item) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(item)))
    throw new ConfigError(name, 'must be scope names separated by spaces (RFC 6749 §3.3)');
  for (const anyOf of required) {
    if (!anyOf.some((scope) => list.includes(scope)))
      throw new ConfigError(name, `must include ${anyOf.join(' or ')}: sign-in needs it`);
  }
  return [...new Set(list)];
}

function parseOAuthProviders(env: Env, pylonEnv: PylonEnv, errors: ErrorCollector): OAuthProviderConfig[] {
  const providers: OAuthProviderConfig[] = [];
  const credentials = (prefix: string) => {
    const clientId = read(env, `${prefix}_CLIENT_ID`);
    const clientSecret = read(env, `${prefix}_CLIENT_SECRET`);
    if (clientId === undefined && clientSecret === undefined) return null;
    if (clientId === undefined)
      throw new ConfigError(`${prefix}_CLIENT_ID`, `is required with ${prefix}_CLIENT_SECRET`);
    if (clientSecret === undefined)
      throw new ConfigError(`${prefix}_CLIENT_SECRET`, `is required with ${prefix}_CLIENT_ID`);
    return { clientId, clientSecret };
  };
  errors.take(() => {
    const google = credentials('PYLON_GOOGLE');
    if (!google) return;
    const issuer = providerURL(
      'PYLON_GOOGLE_ISSUER',
      read(env, 'PYLON_GOOGLE_ISSUER') ?? DEFAULTS.googleIssuer,
      pylonEnv,
    );
    const requested = scopes(env, 'PYLON_GOOGLE_SCOPES', DEFAULTS.googleScopes, [['openid'], ['email']]);
    providers.push({ id: 'google', kind: 'oidc', ...google, issuer, scopes: requested });
  }, undefined);
  errors.take(() => {
    const github = credentials('PYLON_GITHUB');
    if (!github) return;
    providers.push({
      id: 'github',
      kind: 'github',
      ...github,
      webURL: providerURL('PYLON_GITHUB_URL', read(env, 'PYLON_GITHUB_URL') ?? DEFAULTS.githubURL, pylonEnv),
      apiURL: providerURL(
        'PYLON_GITHUB_API_URL',
        read(env, 'PYLON_GITHUB_API_URL') ?? DEFAULTS.githubAPIURL,
        pylonEnv,
      ),
      scopes: scopes(env, 'PYLON_GITHUB_SCOPES', DEFAULTS.githubScopes, [['user:email', 'user']]),
    });
  }, undefined);
  return providers;
}

/**
 * PYLON_JWT_ISSUERS: a JSON list of `{issuer, audience, jwks_url, user_id_claim?, email_claim?,
 * roles_claim?, header?, trust_email?, max_lifetime_seconds?}`.
 */
function parseJWTIssuers(env: Env, pylonEnv: PylonEnv): JWTIssuerConfig[] {
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

function parseAPIKeyPepper(env: Env): string | null {
  const pepper = read(env, 'PYLON_API_KEY_PEPPER');
  if (pepper !== undefined && pepper.length < 32)
    throw new ConfigError('PYLON_API_KEY_PEPPER', 'must be at least 32 characters');
  return pepper ?? null;
}

/** Whether cookies may omit `Secure`: only development served on a loopback host. */
// A Host header value as browsers and the CLI send it: lower-case name, optional port.
const HOST_PATTERN = /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\d{1,5})?$/;

/** PYLON_ORG_HOSTS=`acme=acme.pylon.test:4000,beta=beta.example.com` → host → org id. */
function parseOrgHosts(env: Env): Record<string, string> {
  const hosts: Record<string, string> = {};
  for (const item of (read(env, 'PYLON_ORG_HOSTS') ?? '').split(',')) {
    if (item.trim() === '') continue;
    const [org = '', host = '', ...rest] = item.split('=').map((part) => part.trim());
    const name = host.toLowerCase();
    if (rest.length > 0 || !ORG_ID_PATTERN.test(org) || !HOST_PATTERN.test(name)) {
      throw new ConfigError('PYLON_ORG_HOSTS', `"${item.trim()}" must be <org id>=<host>[:<port>]`);
    }
    if (hosts[name] !== undefined) throw new ConfigError('PYLON_ORG_HOSTS', `${name} is listed twice`);
    hosts[name] = org;
  }
  return hosts;
}

/** PYLON_ORG_HOST_TEMPLATE: a host with exactly one `{org}`, e.g. `{org}.pylon.example.com`. */
function parseOrgHostTemplate(env: Env): string | null {
  const raw = read(env, 'PYLON_ORG_HOST_TEMPLATE')?.toLowerCase();
  if (raw === undefined) return null;
  if (raw.split('{org}').length !== 2 || !HOST_PATTERN.test(raw.replace('{org}', 'org'))) {
    throw new ConfigError(
      'PYLON_ORG_HOST_TEMPLATE',
      'must be a host with one {org}, e.g. {org}.pylon.example.com',
    );
  }
  return raw;
}

/**
 * Whether cookies may omit `Secure`: development served on a loopback host, unless
 * PYLON_COOKIE_SECURE says otherwise (`false` is refused outside development).
 */
export function isInsecureLocalDevelopment(config: Config): boolean {
  if (config.cookieSecure !== null) return !config.cookieSecure;
  return config.env === 'development' && isLoopbackHost(new URL(config.publicURL).hostname);
}

/** PYLON_ENV as declared (PYLON_DEV_MODE counted), for reading other settings when config failed. */
export function declaredEnvironment(env: Env): PylonEnv {
  const resolved = resolveAliases(env, new ErrorCollector());
  return read(resolved, 'PYLON_ENV')?.toLowerCase() === 'production' ? 'production' : 'development';
}

/** The same config with a secret filled in (the development secret file supplies it). */
export function withSecret(config: Config, secret: string): Config {
  return Object.freeze({ ...config, secret });
}
