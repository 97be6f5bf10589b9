import { readFileSync } from 'node:fs';
import { hashEmail } from '@pylon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { rbacCaller } from './call.js';

const ADMIN = 'admin-token-for-pylon-grant-tests-0123456789';
const BOSS = 'boss@example.com';
const REFERENCE_PREPARED = readFileSync(
  new URL('../../../core/test/fixtures/schema-prepare/reference.prepared.json', import.meta.url),
  'utf8',
);

/**
 * `pylon:role.manage` is the power to manage grants, not a key to every other `pylon:*`
 * capability: in the built-in app a grantor gives, replaces and takes away only what they hold.
 */
describe.each(testDatabases)('grants in the pylon app on $kind', (database) => {
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
  const grantAs = (token: string, body: Record<string, unknown>) => call('POST', '/roles', { token, body });
  const pylonGrantOf = async (email: string) =>
    (
      (await call('GET', '/roles?app_id=pylon', { token: ADMIN })).body.roles as Array<
        Record<string, unknown>
      >
    ).find((role) => role.email === email);

  let boss: { email: string; token: string };
  let mallory: { email: string; token: string };

  beforeAll(async () => {
    t = await startTestServer(database, {
      env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_BOOTSTRAP_ADMIN_EMAIL: BOSS },
    });
    boss = await signIn(BOSS);
    expect((await call('POST', '/bootstrap', { token: boss.token })).status).toBe(200);
    mallory = await signIn('mallory@example.com');
    const given = await grantAs(ADMIN, {
      email: mallory.email,
      app_id: 'pylon',
      archetype: 'pylon-user',
      capabilities: ['pylon:role.manage'],
    });
    expect(given.status).toBe(200);
  });
  afterAll(() => t.close());

  it('role.manage alone does not make its holder pylon-admin or a deployment admin', async () => {
    const escalated = await grantAs(mallory.token, {
      email: mallory.email,
      app_id: 'pylon',
      archetype: 'pylon-admin',
    });
    expect(escalated.status).toBe(403);
    expect(escalated.body).toEqual({
      error: 'insufficient_capability',
      message:
        'Granting pylon-admin needs pylon:app.manage, pylon:audit.read, pylon:schema.approve-migration, which the caller does not hold',
    });
    const me = await call('GET', '/api/auth/me', { token: mallory.token });
    expect(me.body).toMatchObject({ isAdmin: false });
    expect((await call('GET', '/whoami', { token: mallory.token })).body.archetype).toBe('pylon-user');
    expect(await pylonGrantOf(mallory.email)).toMatchObject({
      archetype: 'pylon-user',
      capabilities: ['pylon:role.manage'],
    });
  });

  it('nor hands out, through an archetype or as extra capabilities, what the grantor lacks', async () => {
    const victim = 'someone@example.com';
    for (const body of [
      { email: victim, app_id: 'pylon', archetype: 'pylon-auditor' },
      { email: victim, app_id: 'pylon', archetype: 'pylon-user', capabilities: ['pylon:app.manage'] },
      {
        email: victim,
        app_id: 'pylon',
        archetype: 'pylon-user',
        capabilities: ['pylon:role.manage', 'pylon:schema.approve-migration'],
      },
    ]) {
      const refused = await grantAs(mallory.token, body);
      expect(refused.status, JSON.stringify(body)).toBe(403);
      expect(refused.body.error).toBe('insufficient_capability');
    }
    expect(await pylonGrantOf(victim)).toBeUndefined();
    // What she holds herself she may pass on.
    const shared = await grantAs(mallory.token, {
      email: victim,
      app_id: 'pylon',
      archetype: 'pylon-user',
      capabilities: ['pylon:role.manage'],
    });
    expect(shared.status).toBe(200);
  });

  it('nor revokes or overwrites the grant of someone who holds more', async () => {
    const revoke = await call('DELETE', `/roles/pylon/${hashEmail(BOSS)}`, { token: mallory.token });
    expect(revoke.status).toBe(403);
    expect(revoke.body.error).toBe('insufficient_capability');
    const overwrite = await grantAs(mallory.token, { email: BOSS, app_id: 'pylon', archetype: 'pylon-user' });
    expect(overwrite.status).toBe(403);
    expect(overwrite.body.error).toBe('insufficient_capability');
    expect(await pylonGrantOf(BOSS)).toMatchObject({ archetype: 'pylon-admin' });
    expect((await call('GET', '/api/auth/me', { token: boss.token })).body).toMatchObject({ isAdmin: true });
    // A grant within what she holds she may take back.
    const within = await call('DELETE', `/roles/pylon/${hashEmail('someone@example.com')}`, {
      token: mallory.token,
    });
    expect(within.body).toEqual({
      app_id: 'pylon',
      email_hash: hashEmail('someone@example.com'),
      revoked: true,
    });
  });

  it('in a registered app, role.manage still manages every grant', async () => {
    const registered = await call('POST', '/apps', { token: ADMIN, body: { name: 'example', owner: BOSS } });
    const pushed = await call('POST', '/apps/example/schema', {
      appToken: registered.body.app_token as string,
      raw: REFERENCE_PREPARED,
    });
    expect(pushed.body).toEqual({ status: 'accepted', version: 1 });
    const granted = await grantAs(mallory.token, { email: BOSS, app_id: 'example', archetype: 'admin' });
    expect(granted.body).toEqual({
      email_hash: hashEmail(BOSS),
      app_id: 'example',
      archetype: 'example:admin',
    });
    const revoked = await call('DELETE', `/roles/example/${hashEmail(BOSS)}`, { token: mallory.token });
    expect(revoked.status).toBe(200);
  });

  it('a pylon-admin holder and the admin token grant and revoke anything in the pylon app', async () => {
    const promoted = await grantAs(boss.token, {
      email: mallory.email,
      app_id: 'pylon',
      archetype: 'pylon-admin',
    });
    expect(promoted.status).toBe(200);
    expect((await call('GET', '/whoami', { token: mallory.token })).body.archetype).toBe('pylon-admin');
    const demoted = await grantAs(ADMIN, { email: mallory.email, app_id: 'pylon', archetype: 'pylon-user' });
    expect(demoted.status).toBe(200);
    expect(
      (await call('DELETE', `/roles/pylon/${hashEmail(mallory.email)}`, { token: boss.token })).status,
    ).toBe(200);
  });

  it('an API key grants only within its scopes, whatever its owner holds', async () => {
    const key = await call('POST', '/api/auth/api-keys', {
      token: boss.token,
      body: { scopes: ['pylon:role.manage'] },
    });
    expect(key.status).toBe(201);
    const refused = await grantAs(key.body.key as string, {
      email: 'friend@example.com',
      app_id: 'pylon',
      archetype: 'pylon-admin',
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('insufficient_capability');
    const plain = await grantAs(key.body.key as string, {
      email: 'friend@example.com',
      app_id: 'pylon',
      archetype: 'pylon-user',
    });
    expect(plain.status).toBe(200);
  });
});
