import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ConfigErrors,
  declaredEnvironment,
  isInsecureLocalDevelopment,
  isLoopbackHost,
  loadConfig,
} from '../../src/config/config.js';
import { KNOWN_VARIABLES, unknownVariables, VARIABLE_ALIASES } from '../../src/config/variables.js';

/** As `openssl rand -hex 32` makes them (production refuses an obviously made-up one). */
const SECRET = '9c3f71e0a45b28d6f1e08c7a3b59d24e6a0f13c8b7e542d9061fa8c35e7b9d02';

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('defaults to development on localhost:4000 with embedded SQLite', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 4000,
      host: 'localhost',
      publicURL: 'http://localhost:4000',
      database: { kind: 'sqlite', path: './data/pylon.db' },
      orgId: 'default',
      secret: null,
      logLevel: 'info',
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(isInsecureLocalDevelopment(config)).toBe(true);
  });

  it('parses every documented variable', () => {
    const config = loadConfig({
      PYLON_PORT: '8080',
      PYLON_HOST: '0.0.0.0',
      PYLON_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/pylon',
      PYLON_DATABASE_POOL_SIZE: '4',
      PYLON_DATABASE_CONNECT_TIMEOUT_MS: '5000',
      PYLON_DATABASE_STATEMENT_TIMEOUT_MS: '60000',
      PYLON_PUBLIC_URL: 'https://auth.example.com/',
      PYLON_ENV: 'production',
      PYLON_SECRET: SECRET.toUpperCase(),
      PYLON_ADMIN_TOKEN: 'f'.repeat(64),
      PYLON_ORG_ID: 'acme',
      PYLON_TRUSTED_ORIGINS: 'https://app.example.com, http://localhost:3000/path',
      PYLON_LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      database: {
        kind: 'postgres',
        url: 'postgres://postgres@127.0.0.1:5432/pylon',
        poolSize: 4,
        connectTimeoutMs: 5000,
        statementTimeoutMs: 60_000,
      },
      publicURL: 'https://auth.example.com',
      env: 'production',
      secret: SECRET,
      orgId: 'acme',
      logLevel: 'debug',
      trustedOrigins: ['https://auth.example.com', 'https://app.example.com', 'http://localhost:3000'],
    });
    expect(isInsecureLocalDevelopment(config)).toBe(false);
  });

  it('keeps PostgreSQL to 10 connections a process, waiting 10 s for one and 30 s for an answer, unless told otherwise', () => {
    const url = 'postgres://postgres@127.0.0.1:5432/pylon';
    expect(loadConfig({ PYLON_DATABASE_URL: url }).database).toEqual({
      kind: 'postgres',
      url,
      poolSize: 10,
      connectTimeoutMs: 10_000,
      statementTimeoutMs: 30_000,
    });
    expect(
      loadConfig({
        PYLON_DATABASE_URL: url,
        PYLON_DATABASE_POOL_SIZE: ' 1 ',
        PYLON_DATABASE_CONNECT_TIMEOUT_MS: '250',
        PYLON_DATABASE_STATEMENT_TIMEOUT_MS: '100',
      }).database,
    ).toEqual({ kind: 'postgres', url, poolSize: 1, connectTimeoutMs: 250, statementTimeoutMs: 100 });
    // SQLite has one connection per process: neither applies, neither is kept.
    expect(
      loadConfig({
        PYLON_DATABASE_POOL_SIZE: '4',
        PYLON_DATABASE_CONNECT_TIMEOUT_MS: '250',
        PYLON_DATABASE_STATEMENT_TIMEOUT_MS: '250',
      }).database,
    ).toEqual({
      kind: 'sqlite',
      path: './data/pylon.db',
      url: 'sqlite:./data/pylon.db',
    });
  });

  it.each([
    [{ PYLON_PORT: 'eighty' }, 'PYLON_PORT'],
    [{ PYLON_PORT: '70000' }, 'PYLON_PORT'],
    [{ PYLON_DATABASE_URL: 'mysql://x' }, 'PYLON_DATABASE_URL'],
    [{ PYLON_DATABASE_URL: 'sqlite:' }, 'PYLON_DATABASE_URL'],
    [{ PYLON_DATABASE_POOL_SIZE: '0' }, 'PYLON_DATABASE_POOL_SIZE'],
    [{ PYLON_DATABASE_POOL_SIZE: '1001' }, 'PYLON_DATABASE_POOL_SIZE'],
    [{ PYLON_DATABASE_POOL_SIZE: 'ten' }, 'PYLON_DATABASE_POOL_SIZE'],
    [{ PYLON_DATABASE_CONNECT_TIMEOUT_MS: '99' }, 'PYLON_DATABASE_CONNECT_TIMEOUT_MS'],
    [{ PYLON_DATABASE_CONNECT_TIMEOUT_MS: '600001' }, 'PYLON_DATABASE_CONNECT_TIMEOUT_MS'],
    [{ PYLON_DATABASE_CONNECT_TIMEOUT_MS: '1.5' }, 'PYLON_DATABASE_CONNECT_TIMEOUT_MS'],
    [{ PYLON_DATABASE_STATEMENT_TIMEOUT_MS: '99' }, 'PYLON_DATABASE_STATEMENT_TIMEOUT_MS'],
    [{ PYLON_DATABASE_STATEMENT_TIMEOUT_MS: '3600001' }, 'PYLON_DATABASE_STATEMENT_TIMEOUT_MS'],
    [{ PYLON_DATABASE_STATEMENT_TIMEOUT_MS: '0' }, 'PYLON_DATABASE_STATEMENT_TIMEOUT_MS'],
    [{ PYLON_ENV: 'staging' }, 'PYLON_ENV'],
    [{ PYLON_SECRET: 'abc' }, 'PYLON_SECRET'],
    [{ PYLON_SECRET: 'z'.repeat(64) }, 'PYLON_SECRET'],
    [{ PYLON_ORG_ID: 'Bad_Org' }, 'PYLON_ORG_ID'],
    [{ PYLON_ORG_ID: 'a' }, 'PYLON_ORG_ID'],
    [{ PYLON_TRUSTED_ORIGINS: 'not a url' }, 'PYLON_TRUSTED_ORIGINS'],
    [{ PYLON_TRUSTED_ORIGINS: 'ftp://x.example' }, 'PYLON_TRUSTED_ORIGINS'],
    [{ PYLON_LOG_LEVEL: 'loud' }, 'PYLON_LOG_LEVEL'],
    [{ PYLON_PUBLIC_URL: 'auth.example.com' }, 'PYLON_PUBLIC_URL'],
    [{ PYLON_ADMIN_TOKEN: 'short' }, 'PYLON_ADMIN_TOKEN'],
    [{ PYLON_API_KEY_PEPPER: 'too-short' }, 'PYLON_API_KEY_PEPPER'],
  ])('refuses %o naming %s', (env, variable) => {
    const error = failure(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
  });

  describe('social sign-in providers', () => {
    it('are configured by their credentials, with the public endpoints by default', () => {
      const config = loadConfig({
        PYLON_GOOGLE_CLIENT_ID: 'g',
        PYLON_GOOGLE_CLIENT_SECRET: 'gs',
        PYLON_GITHUB_CLIENT_ID: 'h',
        PYLON_GITHUB_CLIENT_SECRET: 'hs',
      });
      expect(config.oauthProviders).toEqual([
        {
          id: 'google',
          kind: 'oidc',
          clientId: 'g',
          clientSecret: 'gs',
          issuer: 'https://accounts.google.com',
          scopes: ['openid', 'email', 'profile'],
        },
        {
          id: 'github',
          kind: 'github',
          clientId: 'h',
          clientSecret: 'hs',
          webURL: 'https://github.com',
          apiURL: 'https://api.github.com',
          scopes: ['read:user', 'user:email'],
        },
      ]);
      expect(loadConfig({}).oauthProviders).toEqual([]);
    });

    it.each([
      [{ PYLON_GOOGLE_CLIENT_ID: 'g' }, 'PYLON_GOOGLE_CLIENT_SECRET'],
      [{ PYLON_GITHUB_CLIENT_SECRET: 'x' }, 'PYLON_GITHUB_CLIENT_ID'],
      [
        {
          PYLON_GOOGLE_CLIENT_ID: 'g',
          PYLON_GOOGLE_CLIENT_SECRET: 's',
          PYLON_GOOGLE_ISSUER: 'http://idp.example.com',
        },
        'PYLON_GOOGLE_ISSUER',
      ],
      [
        { PYLON_GITHUB_CLIENT_ID: 'g', PYLON_GITHUB_CLIENT_SECRET: 's', PYLON_GITHUB_API_URL: 'ftp://x' },
        'PYLON_GITHUB_API_URL',
      ],
    ])('refuses %o naming %s', (env, variable) => {
      expect(failure(env).variable).toBe(variable);
    });

    it('allow an http loopback issuer in development only', () => {
      const env = {
        PYLON_GOOGLE_CLIENT_ID: 'g',
        PYLON_GOOGLE_CLIENT_SECRET: 's',
        PYLON_GOOGLE_ISSUER: 'http://127.0.0.1:9999',
      };
      expect(loadConfig(env).oauthProviders[0]).toMatchObject({ issuer: 'http://127.0.0.1:9999' });
      const production = {
        ...env,
        PYLON_ENV: 'production',
        PYLON_SECRET: SECRET,
        PYLON_PUBLIC_URL: 'https://a.example.com',
      };
      expect(failure(production).variable).toBe('PYLON_GOOGLE_ISSUER');
    });
  });

  describe('production refuses insecure settings', () => {
    const secure = {
      PYLON_ENV: 'production',
      PYLON_SECRET: SECRET,
      PYLON_PUBLIC_URL: 'https://auth.example.com',
    };

    it('accepts a secure production config', () => {
      expect(loadConfig(secure).env).toBe('production');
    });

    it('without PYLON_SECRET', () => {
      const { PYLON_SECRET: _omit, ...env } = secure;
      expect(failure(env).variable).toBe('PYLON_SECRET');
    });

    it.each([
      ['one repeated digit', '0'.repeat(64), /only 1 distinct hex digits/],
      ['a repeated byte pair', 'ab'.repeat(32), /only 2 distinct hex digits/],
      ['a placeholder', 'deadbeef'.repeat(8), /only 5 distinct hex digits/],
      [
        'a repeated block of every digit',
        '0123456789abcdef'.repeat(4),
        /repeats a block of 16 hex characters/,
      ],
      ['two repeated halves', SECRET.slice(0, 32).repeat(2), /repeats a block of 32 hex characters/],
    ])('with a PYLON_SECRET that is not random: %s (development takes it)', (_what, secret, why) => {
      const error = failure({ ...secure, PYLON_SECRET: secret.toUpperCase() });
      expect(error.variable).toBe('PYLON_SECRET');
      expect(error.message).toMatch(why);
      expect(error.message).not.toContain(secret);
      expect(loadConfig({ PYLON_SECRET: secret }).secret).toBe(secret);
    });

    it('never refuses a random PYLON_SECRET', () => {
      for (let i = 0; i < 2000; i++) {
        const secret = randomBytes(32).toString('hex');
        expect(loadConfig({ ...secure, PYLON_SECRET: secret }).secret).toBe(secret);
      }
    });

    it('with a non-https public URL', () => {
      expect(failure({ ...secure, PYLON_PUBLIC_URL: 'http://auth.example.com' }).variable).toBe(
        'PYLON_PUBLIC_URL',
      );
    });

    it('without a public URL', () => {
      const { PYLON_PUBLIC_URL: _omit, ...env } = secure;
      expect(failure(env).variable).toBe('PYLON_PUBLIC_URL');
    });

    it('with an admin token shorter than 64 hex characters', () => {
      expect(failure({ ...secure, PYLON_ADMIN_TOKEN: 'f'.repeat(63) }).variable).toBe('PYLON_ADMIN_TOKEN');
      expect(failure({ ...secure, PYLON_ADMIN_TOKEN: 'g'.repeat(64) }).variable).toBe('PYLON_ADMIN_TOKEN');
    });
  });
});

describe('PYLON_SSO_ALLOWED_DOMAINS', () => {
  const production = {
    PYLON_ENV: 'production',
    PYLON_SECRET: SECRET,
    PYLON_PUBLIC_URL: 'https://a.example.com',
  };

  it('unset: no domain may be claimed in production; any domain in development', () => {
    expect(loadConfig(production).ssoAllowedDomains).toEqual([]);
    expect(loadConfig({}).ssoAllowedDomains).toBeNull();
  });

  it('reads bare domains (any org) and `org=domain` entries (that org only), lowercased', () => {
    expect(
      loadConfig({ ...production, PYLON_SSO_ALLOWED_DOMAINS: ' Corp.example , acme=ACME.com,' })
        .ssoAllowedDomains,
    ).toEqual([
      { domain: 'corp.example', org: null },
      { domain: 'acme.com', org: 'acme' },
    ]);
  });

  it.each([
    ['not a domain', 'acme', /"acme" must be <domain> or <org id>=<domain>/],
    ['a wildcard', '*.acme.com', /must be <domain> or <org id>=<domain>/],
    ['an org id that is no slug', 'Acme Corp=acme.com', /must be <domain> or <org id>=<domain>/],
    ['two equals signs', 'a=b=acme.com', /must be <domain> or <org id>=<domain>/],
    ['a domain twice', 'acme.com,beta=ACME.com', /acme\.com is listed twice/],
  ])('refuses %s at start-up', (_what, value, why) => {
    const error = failure({ PYLON_SSO_ALLOWED_DOMAINS: value });
    expect(error.variable).toBe('PYLON_SSO_ALLOWED_DOMAINS');
    expect(error.message).toMatch(why);
  });
});

describe('development mode stays on loopback', () => {
  it.each([['localhost'], ['127.0.0.1'], ['127.8.9.10'], ['::1'], ['[::1]'], ['0:0:0:0:0:0:0:1']])(
    '%s is loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true);
      expect(loadConfig({ PYLON_HOST: host }).host).toBe(host);
    },
  );

  it.each([['0.0.0.0'], ['::'], ['192.168.1.20'], ['127.evil.example'], ['auth.example.com']])(
    'refuses PYLON_HOST=%s, naming the opt-in',
    (host) => {
      const error = failure({ PYLON_HOST: host });
      expect(error.variable).toBe('PYLON_HOST');
      expect(error.message).toContain('PYLON_ALLOW_DEV_ON_NETWORK=1');
    },
  );

  it.each([['https://auth.example.com'], ['http://192.168.1.20:4000'], ['http://127.0.0.1.nip.io']])(
    'refuses PYLON_PUBLIC_URL=%s',
    (url) => {
      expect(failure({ PYLON_PUBLIC_URL: url }).variable).toBe('PYLON_PUBLIC_URL');
    },
  );

  it('accepts a loopback public URL, and the network with the explicit opt-in', () => {
    expect(loadConfig({ PYLON_PUBLIC_URL: 'http://[::1]:4000' }).publicURL).toBe('http://[::1]:4000');
    const onNetwork = loadConfig({
      PYLON_HOST: '0.0.0.0',
      PYLON_PUBLIC_URL: 'http://192.168.1.20:4000',
      PYLON_ALLOW_DEV_ON_NETWORK: '1',
    });
    expect(onNetwork).toMatchObject({ env: 'development', host: '0.0.0.0' });
    expect(failure({ PYLON_HOST: '0.0.0.0', PYLON_ALLOW_DEV_ON_NETWORK: 'maybe' }).variable).toBe(
      'PYLON_ALLOW_DEV_ON_NETWORK',
    );
  });

  it('reads a flag in every spelling its refusal names, and names them when refusing', () => {
    for (const on of ['true', '1', 'yes', 'on', 'TRUE', 'Yes'])
      expect(loadConfig({ PYLON_DISABLE_HIBP: on }).hibpURL).toBeNull();
    for (const off of ['false', '0', 'no', 'off', 'OFF'])
      expect(loadConfig({ PYLON_DISABLE_HIBP: off }).hibpURL).not.toBeNull();
    const refused = failure({ PYLON_DISABLE_HIBP: 'maybe' });
    expect(refused.variable).toBe('PYLON_DISABLE_HIBP');
    expect(refused.message).toMatch(/true or false \(also 1\/0, yes\/no, on\/off\)/);
    expect(failure({ PYLON_DEV_MODE: 'maybe' }).message).toMatch(/also 1\/0, yes\/no, on\/off/);
  });

  it('production on any interface is unaffected', () => {
    const env = { PYLON_ENV: 'production', PYLON_SECRET: SECRET, PYLON_PUBLIC_URL: 'https://a.example.com' };
    expect(loadConfig({ ...env, PYLON_HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });
});

describe('every configuration error at once', () => {
  const broken = {
    PYLON_ENV: 'production',
    PYLON_PORT: 'eighty',
    PYLON_SECRET: 'abc',
    PYLON_LOG_LEVEL: 'loud',
    PYLON_RATE_LIMIT_GUESTS_PER_IP_MINUTE: '0',
    PYLON_GOOGLE_CLIENT_ID: 'g',
  };

  it('lists each refused variable once, the first as `variable`', () => {
    const error = failure(broken);
    expect(error).toBeInstanceOf(ConfigErrors);
    const variables = (error as ConfigErrors).errors.map((e) => e.variable);
    expect(variables).toEqual([
      'PYLON_PORT',
      'PYLON_SECRET',
      'PYLON_PUBLIC_URL',
      'PYLON_LOG_LEVEL',
      'PYLON_RATE_LIMIT_GUESTS_PER_IP_MINUTE',
      'PYLON_GOOGLE_CLIENT_SECRET',
    ]);
    expect(error.variable).toBe('PYLON_PORT');
    for (const variable of variables) expect(error.message).toContain(`${variable}: `);
    expect(error.message.split('\n')).toHaveLength(variables.length);
  });

  it('names both OAuth token lifetimes when both are out of range', () => {
    const error = failure({ PYLON_OAUTH_ACCESS_TOKEN_TTL: '1', PYLON_OAUTH_REFRESH_TOKEN_TTL: '1' });
    expect((error as ConfigErrors).errors.map((e) => e.variable)).toEqual([
      'PYLON_OAUTH_ACCESS_TOKEN_TTL',
      'PYLON_OAUTH_REFRESH_TOKEN_TTL',
    ]);
  });

  it('a single error stays a plain ConfigError', () => {
    const error = failure({ PYLON_PORT: 'eighty' });
    expect(error).not.toBeInstanceOf(ConfigErrors);
    expect(error.message).toBe('PYLON_PORT: expected an integer, got "eighty"');
  });

  const bin = fileURLToPath(new URL('../../dist/bin/pylon-server.js', import.meta.url));
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [bin, 'migrate'], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });

  it('pylon-server prints them all and exits 78', () => {
    const result = run({ ...broken, PYLON_EMAIL_PROVIDER: 'carrier-pigeon' });
    expect(result.status).toBe(78);
    for (const variable of ['PYLON_PORT', 'PYLON_SECRET', 'PYLON_LOG_LEVEL', 'PYLON_EMAIL_PROVIDER']) {
      expect(result.stderr).toContain(`${variable}: `);
    }
  });

  it('pylon-server refusing production names every missing mail setting, and a misspelt variable, at once', () => {
    const result = run({
      PYLON_ENV: 'production',
      PYLON_PUBLIC_URL: 'https://auth.example.com',
      PYLON_SECERT: SECRET,
      PYLON_EMAIL_PROVIDER: 'resend',
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toBe(
      [
        'pylon-server: invalid configuration (3 problems):',
        '  PYLON_SECRET: is required in production (64 hex characters)',
        '  PYLON_EMAIL_FROM: must be a real sender address in production',
        '  PYLON_EMAIL_API_KEY: is required when PYLON_EMAIL_PROVIDER=resend',
        'pylon-server: unknown variables (a typo?): PYLON_SECERT; see docs/CONFIGURATION.md',
        '',
      ].join('\n'),
    );
  });

  it('pylon-server warns once about unknown PYLON_* names, without their values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pylon-config-'));
    try {
      const result = run({
        PYLON_DATABASE_URL: `sqlite:${join(dir, 'pylon.db')}`,
        PYLON_DATA_DIR: dir,
        PYLON_SECERT: 'value-that-must-not-be-logged',
        PYLON_OAUTH_GOOGLE_CLIENT_ID: 'known-alias',
        PYLON_OAUTH_GOOGLE_CLIENT_SECRET: 'known-alias',
      });
      expect(result.status).toBe(0);
      const warnings = result.stdout.split('\n').filter((line) => line.includes('unknown variables'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40 });
      expect(warnings[0]).toContain('PYLON_SECERT');
      expect(warnings[0]).not.toContain('PYLON_OAUTH_GOOGLE');
      expect(result.stdout).not.toContain('value-that-must-not-be-logged');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pylon-server refuses development on 0.0.0.0 with exit 78', () => {
    const result = run({ PYLON_HOST: '0.0.0.0' });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('PYLON_HOST');
    expect(result.stderr).toContain('PYLON_ALLOW_DEV_ON_NETWORK');
  });
});

describe('earlier variable names', () => {
  it('read each alias as the variable it stands for', () => {
    const config = loadConfig({
      PYLON_OAUTH_GOOGLE_CLIENT_ID: 'g',
      PYLON_OAUTH_GOOGLE_CLIENT_SECRET: 'gs',
      PYLON_OAUTH_GOOGLE_OIDC_ISSUER: 'http://127.0.0.1:9999',
      PYLON_OAUTH_GOOGLE_SCOPES: 'openid email',
      PYLON_OAUTH_GITHUB_CLIENT_ID: 'h',
      PYLON_OAUTH_GITHUB_CLIENT_SECRET: 'hs',
      PYLON_OAUTH_GITHUB_SCOPES: 'user',
      PYLON_OAUTH_GOOGLE_REDIRECT: 'http://localhost:4000/api/auth/callback/google',
      PYLON_OAUTH_GITHUB_REDIRECT: 'http://localhost:4000/api/auth/callback/github/',
    });
    expect(config.oauthProviders).toMatchObject([
      {
        id: 'google',
        clientId: 'g',
        clientSecret: 'gs',
        issuer: 'http://127.0.0.1:9999',
        scopes: ['openid', 'email'],
      },
      { id: 'github', clientId: 'h', clientSecret: 'hs', scopes: ['user'] },
    ]);
  });

  it('the same value under both names is fine; different values are refused', () => {
    expect(
      loadConfig({
        PYLON_GOOGLE_CLIENT_ID: 'g',
        PYLON_OAUTH_GOOGLE_CLIENT_ID: 'g',
        PYLON_GOOGLE_CLIENT_SECRET: 's',
      }).oauthProviders,
    ).toHaveLength(1);
    const error = failure({
      PYLON_GOOGLE_CLIENT_ID: 'g',
      PYLON_OAUTH_GOOGLE_CLIENT_ID: 'other',
      PYLON_GOOGLE_CLIENT_SECRET: 's',
    });
    expect(error.variable).toBe('PYLON_OAUTH_GOOGLE_CLIENT_ID');
    expect(error.message).toContain('PYLON_GOOGLE_CLIENT_ID');
    expect(error.message).not.toContain('other');
  });

  it('PYLON_DEV_MODE chooses the environment, and must agree with PYLON_ENV', () => {
    const production = { PYLON_SECRET: SECRET, PYLON_PUBLIC_URL: 'https://a.example.com' };
    expect(loadConfig({ ...production, PYLON_DEV_MODE: 'false' }).env).toBe('production');
    expect(loadConfig({ PYLON_DEV_MODE: 'true' }).env).toBe('development');
    expect(loadConfig({ PYLON_DEV_MODE: '1', PYLON_ENV: 'development' }).env).toBe('development');
    expect(failure({ ...production, PYLON_DEV_MODE: 'true', PYLON_ENV: 'production' }).variable).toBe(
      'PYLON_DEV_MODE',
    );
    expect(failure({ PYLON_DEV_MODE: 'sometimes' }).variable).toBe('PYLON_DEV_MODE');
    expect(declaredEnvironment({ PYLON_DEV_MODE: 'false' })).toBe('production');
    expect(declaredEnvironment({})).toBe('development');
  });

  it('a redirect other than the one derived from PYLON_PUBLIC_URL is refused, naming the right one', () => {
    const error = failure({ PYLON_OAUTH_GITHUB_REDIRECT: 'https://yourapp.com/api/auth/callback/github' });
    expect(error.variable).toBe('PYLON_OAUTH_GITHUB_REDIRECT');
    expect(error.message).toContain('http://localhost:4000/api/auth/callback/github');
  });

  it('GitHub has no OIDC issuer', () => {
    expect(failure({ PYLON_OAUTH_GITHUB_OIDC_ISSUER: 'https://github.com' }).variable).toBe(
      'PYLON_OAUTH_GITHUB_OIDC_ISSUER',
    );
  });

  it.each([
    [{ PYLON_GOOGLE_SCOPES: 'email profile' }, 'PYLON_GOOGLE_SCOPES'],
    [{ PYLON_GOOGLE_SCOPES: 'openid "email"' }, 'PYLON_GOOGLE_SCOPES'],
    [{ PYLON_OAUTH_GOOGLE_SCOPES: 'openid profile' }, 'PYLON_GOOGLE_SCOPES'],
  ])('scopes that sign-in cannot work with are refused: %o', (env, variable) => {
    expect(failure({ PYLON_GOOGLE_CLIENT_ID: 'g', PYLON_GOOGLE_CLIENT_SECRET: 's', ...env }).variable).toBe(
      variable,
    );
  });

  it('GitHub scopes must reach /user/emails', () => {
    const env = { PYLON_GITHUB_CLIENT_ID: 'g', PYLON_GITHUB_CLIENT_SECRET: 's' };
    expect(failure({ ...env, PYLON_GITHUB_SCOPES: 'read:user' }).variable).toBe('PYLON_GITHUB_SCOPES');
    expect(
      loadConfig({ ...env, PYLON_GITHUB_SCOPES: 'read:user,user:email,read:org' }).oauthProviders[0],
    ).toMatchObject({ scopes: ['read:user', 'user:email', 'read:org'] });
  });

  it('PYLON_COOKIE_NAME names the session cookie; prefixes and separators are refused', () => {
    expect(loadConfig({}).cookieName).toBe('pylon_session');
    expect(loadConfig({ PYLON_COOKIE_NAME: 'acme.sid' }).cookieName).toBe('acme.sid');
    for (const name of ['__Host-sid', '__secure-sid', 'a b', 'a;b', 'a=b', 'x'.repeat(65)]) {
      expect(failure({ PYLON_COOKIE_NAME: name }).variable, name).toBe('PYLON_COOKIE_NAME');
    }
  });

  it('PYLON_COOKIE_SECURE=false only in development; true forces Secure on localhost', () => {
    const production = {
      PYLON_ENV: 'production',
      PYLON_SECRET: SECRET,
      PYLON_PUBLIC_URL: 'https://a.example.com',
    };
    expect(failure({ ...production, PYLON_COOKIE_SECURE: 'false' }).variable).toBe('PYLON_COOKIE_SECURE');
    expect(isInsecureLocalDevelopment(loadConfig({ ...production, PYLON_COOKIE_SECURE: 'true' }))).toBe(
      false,
    );
    expect(isInsecureLocalDevelopment(loadConfig({ PYLON_COOKIE_SECURE: 'true' }))).toBe(false);
    const lan = { PYLON_ALLOW_DEV_ON_NETWORK: '1', PYLON_PUBLIC_URL: 'http://192.168.1.20:4000' };
    expect(isInsecureLocalDevelopment(loadConfig(lan))).toBe(false);
    expect(isInsecureLocalDevelopment(loadConfig({ ...lan, PYLON_COOKIE_SECURE: 'false' }))).toBe(true);
    expect(failure({ PYLON_COOKIE_SECURE: 'sometimes' }).variable).toBe('PYLON_COOKIE_SECURE');
  });
});

describe('unknown PYLON_* variables', () => {
  it('are listed by name, sorted; known names and other variables are not', () => {
    expect(
      unknownVariables({
        PYLON_SECERT: 'x',
        PYLON_PORT: '1',
        PYLON_OAUTH_GOOGLE_CLIENT_ID: 'g',
        PYLON_ADMIN_TOKNE: 'y',
        HOME: '/root',
      }),
    ).toEqual(['PYLON_ADMIN_TOKNE', 'PYLON_SECERT']);
  });

  it('the known list holds every PYLON_* name the repository reads', () => {
    const root = fileURLToPath(new URL('../../../../', import.meta.url));
    const sources = [
      'packages/server/src',
      'packages/cli/src',
      'packages/sdk/src',
      'examples/mcp-notes/src',
      'test',
    ];
    const files = sources.flatMap((dir) =>
      (readdirSync(join(root, dir), { recursive: true }) as string[])
        .filter((name) => name.endsWith('.ts'))
        .map((name) => join(root, dir, name)),
    );
    const found = new Set<string>();
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(/['"`](PYLON_[A-Z0-9_]+)['"`]/g)) {
        found.add(match[1]!);
      }
    }
    // `PYLON_GOOGLE` / `PYLON_GITHUB` are prefixes the provider variables are built from.
    const names = [...found].filter(
      (name) => ![...KNOWN_VARIABLES].some((known) => known.startsWith(`${name}_`)),
    );
    expect(names.length).toBeGreaterThan(30);
    expect(names.filter((name) => !KNOWN_VARIABLES.has(name))).toEqual([]);
    for (const primary of Object.values(VARIABLE_ALIASES)) expect(KNOWN_VARIABLES.has(primary)).toBe(true);
  });
});
