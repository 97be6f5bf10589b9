import { DEFAULTS } from './defaults.js';

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
}

export type OAuthProviderConfig =
  | {
      readonly id: 'google';
      readonly kind: 'oidc';
      readonly clientId: string;
      readonly clientSecret: string;
      /** OpenID Connect issuer; its discovery document names every endpoint. */
      readonly issuer: string;
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

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.');
}

/**
 * Parse every PYLON_* variable once into a frozen, typed config. Throws ConfigError naming the
 * first bad variable. Production refuses insecure settings here so a misconfigured deployment
 * never starts rather than failing on its first request.
 */
export function loadConfig(env: Env = process.env): Config {
  const pylonEnv = oneOf<PylonEnv>(env, 'PYLON_ENV', ['development', 'production'], DEFAULTS.env);
  const port = integer(env, 'PYLON_PORT', DEFAULTS.port, 0, 65535);
  const host = read(env, 'PYLON_HOST') ?? DEFAULTS.host;

  const publicRaw = read(env, 'PYLON_PUBLIC_URL');
  // Kept without a trailing slash so `${publicURL}/o/${org}` never doubles it.
  const publicURL = publicRaw
    ? origin('PYLON_PUBLIC_URL', publicRaw) + new URL(publicRaw).pathname.replace(/\/$/, '')
    : `http://localhost:${port}`;

  const secret = read(env, 'PYLON_SECRET') ?? null;
  if (secret !== null && !HEX64.test(secret)) {
    throw new ConfigError(
      'PYLON_SECRET',
      'must be 64 hex characters (32 bytes); generate one with `openssl rand -hex 32`',
    );
  }

  const adminToken = read(env, 'PYLON_ADMIN_TOKEN') ?? null;
  const orgId = read(env, 'PYLON_ORG_ID') ?? DEFAULTS.orgId;
  if (!ORG_ID_PATTERN.test(orgId)) {
    throw new ConfigError('PYLON_ORG_ID', `"${orgId}" must match ${ORG_ID_PATTERN.source}`);
  }

  const list = (name: string): string[] =>
    (read(env, name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');

  const trustedOrigins = list('PYLON_TRUSTED_ORIGINS').map((item) => origin('PYLON_TRUSTED_ORIGINS', item));
  const cookieSameSite = oneOf<SameSite>(
    env,
    'PYLON_COOKIE_SAMESITE',
    ['lax', 'strict', 'none'],
    DEFAULTS.cookieSameSite,
  );

  if (pylonEnv === 'production') {
    if (secret === null) {
      throw new ConfigError('PYLON_SECRET', 'is required in production (64 hex characters)');
    }
    if (!publicRaw || new URL(publicURL).protocol !== 'https:') {
      throw new ConfigError('PYLON_PUBLIC_URL', 'must be an https:// URL in production');
    }
    if (adminToken !== null && !/^[0-9a-f]{64,}$/i.test(adminToken)) {
      throw new ConfigError('PYLON_ADMIN_TOKEN', 'must be at least 64 hex characters in production');
    }
  }
  if (adminToken !== null && adminToken.length < 16) {
    throw new ConfigError('PYLON_ADMIN_TOKEN', 'is too short (at least 16 characters; 64 hex in production)');
  }

  const config: Config = {
    env: pylonEnv,
    port,
    host,
    publicURL,
    database: parseDatabase(read(env, 'PYLON_DATABASE_URL') ?? DEFAULTS.databaseURL),
    secret: secret?.toLowerCase() ?? null,
    adminToken,
    orgId,
    trustedOrigins: Object.freeze([...new Set([new URL(publicURL).origin, ...trustedOrigins])]),
    trustedProxies: Object.freeze(list('PYLON_TRUSTED_PROXIES')),
    logLevel: oneOf<LogLevel>(env, 'PYLON_LOG_LEVEL', LOG_LEVELS, DEFAULTS.logLevel),
    dataDir: read(env, 'PYLON_DATA_DIR') ?? DEFAULTS.dataDir,
    sessionTTLSeconds: integer(env, 'PYLON_SESSION_TTL', DEFAULTS.sessionTTLSeconds, 60, 365 * 24 * 3600),
    cliSessionTTLSeconds: integer(
      env,
      'PYLON_CLI_SESSION_TTL',
      DEFAULTS.cliSessionTTLSeconds,
      60,
      30 * 24 * 3600,
    ),
    cookieSameSite,
    cookieDomain: read(env, 'PYLON_COOKIE_DOMAIN') ?? null,
    bootstrapAdminEmail: read(env, 'PYLON_BOOTSTRAP_ADMIN_EMAIL')?.toLowerCase() ?? null,
    bodyLimitBytes: integer(env, 'PYLON_BODY_LIMIT', DEFAULTS.bodyLimitBytes, 1024, 64 * 1024 * 1024),
    shutdownGraceMs: integer(env, 'PYLON_SHUTDOWN_GRACE_MS', DEFAULTS.shutdownGraceMs, 0, 600_000),
    rateLimits: Object.freeze(parseRateLimits(env)),
    oauthProviders: Object.freeze(parseOAuthProviders(env, pylonEnv)),
    apiKeyPepper: parseAPIKeyPepper(env),
    jwtIssuers: Object.freeze(parseJWTIssuers(env, pylonEnv)),
    orgHosts: Object.freeze(parseOrgHosts(env)),
    orgHostTemplate: parseOrgHostTemplate(env),
  };
  return Object.freeze(config);
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
};

function parseRateLimits(env: Env): RateLimits {
  const limits = { ...DEFAULTS.rateLimits } as RateLimits;
  for (const name of Object.keys(limits) as Array<keyof RateLimits>) {
    limits[name] = integer(env, RATE_LIMIT_VARIABLES[name], DEFAULTS.rateLimits[name], 1, 1_000_000);
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

function parseOAuthProviders(env: Env, pylonEnv: PylonEnv): OAuthProviderConfig[] {
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
  const google = credentials('PYLON_GOOGLE');
  if (google) {
    const issuer = providerURL(
      'PYLON_GOOGLE_ISSUER',
      read(env, 'PYLON_GOOGLE_ISSUER') ?? DEFAULTS.googleIssuer,
      pylonEnv,
    );
    providers.push({ id: 'google', kind: 'oidc', ...google, issuer });
  }
  const github = credentials('PYLON_GITHUB');
  if (github) {
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
    });
  }
  return providers;
}

/** PYLON_JWT_ISSUERS: a JSON list of `{issuer, audience, jwks_url, user_id_claim?, email_claim?, roles_claim?, header?}`. */
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
  return config.env === 'development' && isLoopbackHost(new URL(config.publicURL).hostname);
}

/** The same config with a secret filled in (the development secret file supplies it). */
export function withSecret(config: Config, secret: string): Config {
  return Object.freeze({ ...config, secret });
}
