import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { OrgStore } from '../../src/features/orgs/org-store.js';
import { orgForHost } from '../../src/http/org-hosts.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../support/server.js';

const ADMIN = 'admin-token-for-org-host-tests-012345';
type Body = Record<string, unknown> & { error?: string };

describe('PYLON_ORG_HOSTS and PYLON_ORG_HOST_TEMPLATE', () => {
  const config = (env: Record<string, string>) =>
    loadConfig({
      PYLON_SECRET: TEST_SECRET,
      PYLON_PUBLIC_URL: 'https://pylon.example.com',
      PYLON_ALLOW_DEV_ON_NETWORK: '1',
      ...env,
    });

  it('maps a Host header to an org, explicit hosts first, default ports dropped', () => {
    const c = config({
      PYLON_ORG_HOSTS: 'acme=Acme.pylon.test:4000, beta=beta.example.com',
      PYLON_ORG_HOST_TEMPLATE: '{org}.pylon.example.com',
    });
    expect(c.orgHosts).toEqual({ 'acme.pylon.test:4000': 'acme', 'beta.example.com': 'beta' });
    expect(orgForHost(c, 'acme.pylon.test:4000')).toEqual({
      orgId: 'acme',
      apiURL: 'https://acme.pylon.test:4000',
    });
    expect(orgForHost(c, 'BETA.example.com:443')).toEqual({
      orgId: 'beta',
      apiURL: 'https://beta.example.com',
    });
    expect(orgForHost(c, 'gamma.pylon.example.com')).toEqual({
      orgId: 'gamma',
      apiURL: 'https://gamma.pylon.example.com',
    });
    for (const host of [
      'pylon.example.com',
      'acme.pylon.test',
      'x.y.pylon.example.com',
      '-a.pylon.example.com',
      '',
    ]) {
      expect(orgForHost(c, host), host).toBeNull();
    }
    expect(orgForHost(config({}), 'acme.pylon.test:4000')).toBeNull();
  });

  it('refuses malformed values at start-up', () => {
    for (const value of [
      'acme',
      'acme=',
      'Acme!=x.test',
      'acme=x.test=y',
      'acme=https://x.test',
      'a=x.test,b=X.test',
    ]) {
      expect(() => config({ PYLON_ORG_HOSTS: value }), value).toThrow(/PYLON_ORG_HOSTS/);
    }
    for (const value of [
      'pylon.example.com',
      '{org}.{org}.example.com',
      'https://{org}.example.com',
      '{org}/x',
    ]) {
      expect(() => config({ PYLON_ORG_HOST_TEMPLATE: value }), value).toThrow(/PYLON_ORG_HOST_TEMPLATE/);
    }
  });
});

describe.each(testDatabases)('an org served at a host of its own on $kind', (database) => {
  let t: TestServer;
  const call = async (
    method: string,
    path: string,
    host: string,
    options: { token?: string; body?: unknown } = {},
  ) => {
    const response = await t.request(path, {
      method,
      headers: {
        host,
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };

  beforeAll(async () => {
    t = await startTestServer(database, {
      env: {
        PYLON_ADMIN_TOKEN: ADMIN,
        PYLON_PUBLIC_URL: 'http://localhost:4000',
        PYLON_ORG_HOSTS: 'acme=acme.pylon.test:4000,ghost=ghost.pylon.test:4000',
        PYLON_ORG_HOST_TEMPLATE: '{org}.orgs.test:4000',
      },
    });
    t.clock.advance(61_000);
    const email = `owner-${database.kind}@example.com`;
    const sent = await call('POST', '/api/auth/magic/send', 'localhost:4000', { body: { email } });
    const verified = await call('POST', '/api/auth/magic/verify', 'localhost:4000', {
      body: { email, code: sent.body.dev_code },
    });
    for (const id of ['acme', 'beta']) {
      const created = await call('POST', '/api/auth/orgs', 'localhost:4000', {
        token: verified.body.token as string,
        body: { name: id.toUpperCase(), id },
      });
      expect(created.status).toBe(201);
    }
  });
  afterAll(() => t.close());

  it('/discover and the RBAC routes answer for the org at its host root, with that origin as api_url', async () => {
    expect((await call('GET', '/discover', 'acme.pylon.test:4000')).body).toEqual({
      id: 'acme',
      name: 'ACME',
      api_url: 'http://acme.pylon.test:4000',
    });
    expect((await call('GET', '/discover', 'beta.orgs.test:4000')).body).toEqual({
      id: 'beta',
      name: 'BETA',
      api_url: 'http://beta.orgs.test:4000',
    });
    const registered = await call('POST', '/apps', 'acme.pylon.test:4000', {
      token: ADMIN,
      body: { name: 'notes', owner: 'ops@example.com' },
    });
    expect(registered.status).toBe(201);
    expect((await call('GET', '/o/acme/apps', 'localhost:4000', { token: ADMIN })).body.apps).toEqual([
      expect.objectContaining({ app_id: 'notes' }),
    ]);
    expect((await call('GET', '/apps', 'localhost:4000', { token: ADMIN })).body.apps).toEqual([]);
    expect((await call('GET', '/apps', 'beta.orgs.test:4000', { token: ADMIN })).body.apps).toEqual([]);
    const started = await call('POST', '/device/init', 'acme.pylon.test:4000', {
      body: { client: 'pylon-cli', org_id: 'acme' },
    });
    expect(started.body.verification_url).toBe('http://acme.pylon.test:4000/device');
    expect(
      (
        await call('POST', '/device/init', 'acme.pylon.test:4000', {
          body: { client: 'pylon-cli', org_id: 'default' },
        })
      ).body.error,
    ).toBe('org_mismatch');
  });

  it("scoped tokens' iss is the api_url discovered at the host that was called", async () => {
    t.clock.advance(61_000);
    const email = `member-${database.kind}@example.com`;
    const sent = await call('POST', '/api/auth/magic/send', 'localhost:4000', { body: { email } });
    const verified = await call('POST', '/api/auth/magic/verify', 'localhost:4000', {
      body: { email, code: sent.body.dev_code },
    });
    const token = verified.body.token as string;
    // A member of acme (joining goes through an invite in production): only members and grantees mint.
    const orgs = new OrgStore(t.storage.db, database.kind);
    await t.storage.db
      .transaction()
      .execute((trx) =>
        orgs.addMember(trx, 'acme', verified.body.user_id as string, 'member', t.clock.now()),
      );
    const issuerOf = async (path: string, host: string) => {
      const minted = await call('POST', path, host, { token, body: { app_id: 'notes' } });
      expect(minted.status).toBe(200);
      const [, payload] = (minted.body.scoped_token as string).split('.');
      return JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { iss: string; org: string };
    };
    expect(await issuerOf('/token', 'acme.pylon.test:4000')).toMatchObject({
      iss: 'http://acme.pylon.test:4000',
      org: 'acme',
    });
    expect(await issuerOf('/o/acme/token', 'localhost:4000')).toMatchObject({
      iss: 'http://localhost:4000/o/acme',
      org: 'acme',
    });
  });

  it('unknown hosts keep the default org; a host naming an org that does not exist is org_not_found', async () => {
    expect((await call('GET', '/discover', 'elsewhere.test')).body).toMatchObject({
      id: 'default',
      api_url: 'http://localhost:4000/o/default',
    });
    const ghost = await call('GET', '/discover', 'ghost.pylon.test:4000');
    expect(ghost.status).toBe(404);
    expect(ghost.body.error).toBe('org_not_found');
    expect((await call('GET', '/discover', 'nobody.orgs.test:4000')).body.error).toBe('org_not_found');
    // The identity surface is not re-routed by host.
    expect((await call('GET', '/api/auth/providers', 'ghost.pylon.test:4000')).status).toBe(200);
  });
});
