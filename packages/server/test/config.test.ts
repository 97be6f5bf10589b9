import { describe, expect, it } from 'vitest';
import { ConfigError, isInsecureLocalDevelopment, loadConfig } from '../src/config/config.js';

const SECRET = 'ab'.repeat(32);

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
      database: { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/pylon' },
      publicURL: 'https://auth.example.com',
      env: 'production',
      secret: SECRET,
      orgId: 'acme',
      logLevel: 'debug',
      trustedOrigins: ['https://auth.example.com', 'https://app.example.com', 'http://localhost:3000'],
    });
    expect(isInsecureLocalDevelopment(config)).toBe(false);
  });

  it.each([
    [{ PYLON_PORT: 'eighty' }, 'PYLON_PORT'],
    [{ PYLON_PORT: '70000' }, 'PYLON_PORT'],
    [{ PYLON_DATABASE_URL: 'mysql://x' }, 'PYLON_DATABASE_URL'],
    [{ PYLON_DATABASE_URL: 'sqlite:' }, 'PYLON_DATABASE_URL'],
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
        },
        {
          id: 'github',
          kind: 'github',
          clientId: 'h',
          clientSecret: 'hs',
          webURL: 'https://github.com',
          apiURL: 'https://api.github.com',
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
