import { prepareSchema } from '@pylon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { rbacCaller } from './call.js';

const WIKI = prepareSchema(
  stringify({
    version_tag: '1.0.0',
    capabilities: [{ name: 'page.read' }],
    archetypes: [
      { name: 'reader', capabilities: ['page.read'] },
      { name: 'guest', capabilities: [] },
    ],
  }),
  'wiki',
  { cliVersion: '0.0.0-test' },
);

/**
 * `POST /token` mints for someone with standing in the app: a member of the org, or the holder of
 * a grant there (grants name addresses, so a grantee need not be a member). Anyone else with a
 * session would otherwise get a token with `caps: []` that a guard asking for no capability admits.
 */
describe.each(testDatabases)('who may mint a scoped token, on $kind', (database) => {
  let t: TestServer;
  const call = rbacCaller(() => t);
  const signIn = async (email: string) => {
    t.clock.advance(61_000);
    const sent = await call('POST', '/api/auth/magic/send', { body: { email } });
    const verified = await call('POST', '/api/auth/magic/verify', {
      body: { email, code: sent.body.dev_code },
    });
    return { email, token: verified.body.token as string };
  };
  const mint = (token: string, appId: string) =>
    call('POST', '/o/acme/token', { token, body: { app_id: appId } });
  const capsOf = (minted: { body: Record<string, unknown> }) =>
    (
      JSON.parse(
        Buffer.from((minted.body.scoped_token as string).split('.')[1]!, 'base64url').toString(),
      ) as {
        caps: string[];
      }
    ).caps;

  let owner: { email: string; token: string };
  let outsider: { email: string; token: string };

  beforeAll(async () => {
    t = await startTestServer(database);
    owner = await signIn('owner@acme.example');
    outsider = await signIn('outsider@elsewhere.example');
    expect(
      (await call('POST', '/api/auth/orgs', { token: owner.token, body: { name: 'Acme', id: 'acme' } }))
        .status,
    ).toBe(201);
    const registered = await call('POST', '/o/acme/apps', {
      token: owner.token,
      body: { name: 'wiki', owner: owner.email },
    });
    const pushed = await call('POST', '/o/acme/apps/wiki/schema', {
      appToken: registered.body.app_token as string,
      raw: WIKI,
    });
    expect(pushed.body).toEqual({ status: 'accepted', version: 1 });
  });
  afterAll(() => t.close());

  it('refuses someone who is no member of the org and holds no grant in the app, every time', async () => {
    for (const appId of ['wiki', 'wiki', 'pylon', 'pylon']) {
      const refused = await mint(outsider.token, appId);
      expect(refused.status, appId).toBe(403);
      expect(refused.body).toEqual({
        error: 'not_a_member',
        message: 'You are not a member of this org and hold no grant in this app',
      });
    }
  });

  it('mints for a member, holding a capability or not', async () => {
    const memberMint = await mint(owner.token, 'wiki');
    expect(memberMint.status).toBe(200);
    expect(capsOf(memberMint)).toEqual([]);
    expect(capsOf(await mint(owner.token, 'pylon'))).toContain('pylon:role.manage');
  });

  it('mints for a grantee from outside the org, even of an archetype that confers nothing', async () => {
    const grant = (archetype: string) =>
      call('POST', '/o/acme/roles', {
        token: owner.token,
        body: { email: outsider.email, app_id: 'wiki', archetype },
      });
    expect((await grant('reader')).status).toBe(200);
    expect(capsOf(await mint(outsider.token, 'wiki'))).toEqual(['wiki:page.read']);
    expect((await grant('guest')).status).toBe(200);
    expect(capsOf(await mint(outsider.token, 'wiki'))).toEqual([]);
    // A grant in one app is no standing in another.
    expect((await mint(outsider.token, 'pylon')).body.error).toBe('not_a_member');
    const revoked = await call('DELETE', `/o/acme/roles/wiki/${(await grant('guest')).body.email_hash}`, {
      token: owner.token,
    });
    expect(revoked.status).toBe(200);
    expect((await mint(outsider.token, 'wiki')).body.error).toBe('not_a_member');
  });

  it('still answers an unknown or disabled app as before, to anyone', async () => {
    expect((await mint(outsider.token, 'ghost')).body.error).toBe('invalid_app_id');
    expect((await call('DELETE', '/o/acme/apps/wiki', { token: owner.token })).status).toBe(200);
    expect((await mint(outsider.token, 'wiki')).body.error).toBe('app_disabled');
  });
});
