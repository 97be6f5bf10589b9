import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Body = Record<string, unknown> & { error?: { code: string } };
const ADMIN = 'admin-token-for-jwt-tests-0123456789';
const HS_SECRET = 'hs256-secret-for-seed-compatibility-0123456789';

async function call(t: TestServer, method: string, path: string, token?: string, body?: unknown) {
  const response = await t.request(path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

let n = 0;
async function person(t: TestServer, kind: string) {
  const email = `jwt${++n}-${kind}@example.com`;
  t.clock.advance(61_000);
  const sent = await call(t, 'POST', '/api/auth/magic/send', undefined, { email });
  const verified = await call(t, 'POST', '/api/auth/magic/verify', undefined, {
    email,
    code: sent.body.dev_code,
  });
  return { token: verified.body.token as string, userId: verified.body.user_id as string };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each(testDatabases)('POST /api/auth/jwt on $kind', (database) => {
  describe('EdDSA under the deployment key set (default)', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer(database, {
        env: {
          PYLON_JWT_ISSUER: 'https://pylon.test',
          PYLON_ADMIN_TOKEN: ADMIN,
          PYLON_JWT_LIFETIME_SECS: '600',
        },
      });
    });
    afterAll(() => t.close());

    const verifier = async () =>
      createLocalJWKSet((await (await t.request('/.well-known/jwks.json')).json()) as JSONWebKeySet);
    const at = () => new Date(t.clock.now());

    it('mints a token that verifies against /.well-known/jwks.json, with the person, org and roles', async () => {
      const me = await person(t, database.kind);
      const org = `jwt-org-${database.kind}`;
      expect((await call(t, 'POST', '/api/auth/orgs', me.token, { name: 'Acme', id: org })).status).toBe(201);
      expect((await call(t, 'POST', '/api/auth/select-org', me.token, { orgId: org })).status).toBe(200);
      const minted = await call(t, 'POST', '/api/auth/jwt', me.token);
      expect(minted.status).toBe(200);
      const token = minted.body.token as string;
      expect(decodeProtectedHeader(token).alg).toBe('EdDSA');
      const { payload } = await jwtVerify(token, await verifier(), {
        issuer: 'https://pylon.test',
        algorithms: ['EdDSA'],
        currentDate: at(),
      });
      const now = Math.floor(t.clock.now() / 1000);
      expect(payload).toEqual({
        sub: me.userId,
        iat: now,
        exp: now + 600,
        iss: 'https://pylon.test',
        tenant_id: org,
        roles: ['owner'],
      });
      expect(minted.body.expires_at).toBe(now + 600);
    });

    it('refuses a tampered token, an alg:none variant and one past exp', async () => {
      const me = await person(t, database.kind);
      const token = (await call(t, 'POST', '/api/auth/jwt', me.token)).body.token as string;
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      const keys = await verifier();
      const forged = `${header}.${b64({ ...claims, roles: ['admin'] })}.${signature}`;
      await expect(jwtVerify(forged, keys, { currentDate: at() })).rejects.toThrow();
      const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
      await expect(jwtVerify(unsigned, keys, { currentDate: at() })).rejects.toThrow();
      await expect(
        jwtVerify(token, keys, { currentDate: new Date(t.clock.now() + 601_000) }),
      ).rejects.toThrow(/exp/);
      await expect(jwtVerify(token, keys, { currentDate: at() })).resolves.toBeDefined();
    });

    it('keeps a retired key published until the last minted JWT it signed has expired', async () => {
      const me = await person(t, database.kind);
      const token = (await call(t, 'POST', '/api/auth/jwt', me.token)).body.token as string;
      const keys = t.server.services.keys;
      await keys.rotate(300);
      // The new key signs after the key-set cache time; the old one must outlive the JWT (600 s).
      t.clock.advance(301_000);
      keys.invalidate();
      expect(decodeProtectedHeader(await keys.sign({ sub: 'x' })).kid).not.toBe(
        decodeProtectedHeader(token).kid,
      );
      t.clock.advance(200_000);
      keys.invalidate();
      await expect(jwtVerify(token, await verifier(), { currentDate: at() })).resolves.toBeDefined();
    });

    it('answers AUTH_REQUIRED to the signed out, guests, API keys and the admin token', async () => {
      expect(await call(t, 'POST', '/api/auth/jwt')).toMatchObject({
        status: 401,
        body: { error: { code: 'AUTH_REQUIRED' } },
      });
      const guest = await call(t, 'POST', '/api/auth/guest');
      expect(guest.status).toBe(201);
      expect(await call(t, 'POST', '/api/auth/jwt', guest.body.token as string)).toMatchObject({
        status: 401,
        body: { error: { code: 'AUTH_REQUIRED' } },
      });
      const me = await person(t, database.kind);
      const key = (await call(t, 'POST', '/api/auth/api-keys', me.token, { name: 'svc' })).body.key as string;
      expect(await call(t, 'POST', '/api/auth/jwt', key)).toMatchObject({
        status: 401,
        body: { error: { code: 'AUTH_REQUIRED' } },
      });
      expect(await call(t, 'POST', '/api/auth/jwt', ADMIN)).toMatchObject({
        status: 401,
        body: { error: { code: 'AUTH_REQUIRED' } },
      });
    });
  });

  describe('HS256 with PYLON_JWT_SECRET', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer(database, { env: { PYLON_JWT_SECRET: HS_SECRET } });
    });
    afterAll(() => t.close());

    it('signs with the secret, the public URL as issuer and the default 15 minutes', async () => {
      const me = await person(t, database.kind);
      const minted = await call(t, 'POST', '/api/auth/jwt', me.token);
      const token = minted.body.token as string;
      expect(decodeProtectedHeader(token).alg).toBe('HS256');
      const { payload } = await jwtVerify(token, Buffer.from(HS_SECRET), {
        algorithms: ['HS256'],
        currentDate: new Date(t.clock.now()),
      });
      expect(payload).toMatchObject({ sub: me.userId, iss: t.config.publicURL, tenant_id: null, roles: [] });
      expect(payload.exp! - payload.iat!).toBe(900);
      await expect(
        jwtVerify(token, Buffer.from(`${HS_SECRET}x`), { currentDate: new Date(t.clock.now()) }),
      ).rejects.toThrow();
    });
  });
});

describe('PYLON_JWT_* configuration', () => {
  const failure = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error('expected loadConfig to fail');
  };
  it('refuses a secret under 32 bytes and a lifetime out of range', () => {
    expect(failure({ PYLON_JWT_SECRET: 'x'.repeat(31) })).toMatch(/PYLON_JWT_SECRET/);
    expect(failure({ PYLON_JWT_LIFETIME_SECS: '5' })).toMatch(/PYLON_JWT_LIFETIME_SECS/);
    expect(failure({ PYLON_JWT_LIFETIME_SECS: 'soon' })).toMatch(/PYLON_JWT_LIFETIME_SECS/);
    expect(loadConfig({ PYLON_JWT_SECRET: 'x'.repeat(32) }).jwtMinting.secret).toBe('x'.repeat(32));
  });
});
