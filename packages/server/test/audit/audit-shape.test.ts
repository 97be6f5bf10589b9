import { hashEmail } from '@pylon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ADMIN = 'admin-token-for-audit-tests-0123456789';
type Entry = Record<string, unknown> & { action: string; actor: string };

/** Which events each audit shows (tenancy), and the one shape every entry has. */
describe.each(testDatabases)('audit tenancy and shape on $kind', (database) => {
  let t: TestServer;
  const json = async (response: Response) => (await response.json()) as Record<string, unknown>;
  const get = (path: string, token: string) =>
    t.request(path, { headers: { authorization: `Bearer ${token}` } });
  const post = (path: string, token: string | null, body: unknown) =>
    t.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const signIn = async (email: string) => {
    t.clock.advance(61_000);
    const sent = await json(await post('/api/auth/magic/send', null, { email }));
    const done = await json(await post('/api/auth/magic/verify', null, { email, code: sent.dev_code }));
    return { email, token: done.token as string, userId: done.user_id as string };
  };
  const entries = async (path: string, token = ADMIN) => {
    const response = await get(path, token);
    expect(response.status, path).toBe(200);
    return ((await json(response)).entries as Entry[]) ?? [];
  };

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
  });
  afterAll(() => t.close());

  it("a stranger's sign-up and sign-in are not the default org's business, but the deployment's", async () => {
    const stranger = await signIn(`stranger-${database.kind}@example.com`);
    const orgAudit = await entries('/audit?limit=1000');
    expect(orgAudit.filter((e) => e.actor_id === stranger.userId || e.target === stranger.email)).toEqual([]);

    const deployment = await entries('/api/auth/audit/deployment?limit=1000');
    const theirs = deployment.filter((e) => e.actor_id === stranger.userId);
    expect(theirs.map((e) => e.action)).toEqual(expect.arrayContaining(['user.created', 'auth.sign_in']));
    expect(theirs[0]).toMatchObject({ org: '*', actor: stranger.email, actor_type: 'user' });
  });

  it('the deployment audit is for deployment admins only', async () => {
    const person = await signIn(`plain-${database.kind}@example.com`);
    expect((await get('/api/auth/audit/deployment', person.token)).status).toBe(403);
    expect((await t.request('/api/auth/audit/deployment')).status).toBe(401);
    const malformed = await get('/api/auth/audit/deployment?cursor=bm9wZQ', ADMIN);
    expect(malformed.status).toBe(400);
  });

  it("an org's own events stay in that org's audit, under its name", async () => {
    const owner = await signIn(`owner-${database.kind}@example.com`);
    const created = await post('/api/auth/orgs', owner.token, {
      name: 'Tenancy',
      id: `tenancy-${database.kind}`,
    });
    expect(created.status).toBeLessThan(300);
    const own = await entries(`/o/tenancy-${database.kind}/audit?limit=1000`);
    expect(own.map((e) => e.action)).toContain('org.created');
    expect(own.every((e) => e.org === `tenancy-${database.kind}`)).toBe(true);
    const defaults = await entries('/audit?limit=1000');
    expect(defaults.map((e) => e.action)).not.toContain('org.created');
  });

  it('names a person as the target by their user id, which an address change leaves theirs', async () => {
    const person = await signIn(`mover-${database.kind}@example.com`);
    const moved = `moved-${database.kind}@example.com`;
    expect((await post('/api/auth/email/change', person.token, { newEmail: moved })).status).toBe(200);
    const code = /\b(\d{6})\b/.exec(t.mail.filter((m) => m.to === moved).at(-1)?.text ?? '')?.[1];
    expect((await post('/api/auth/email/change/verify', person.token, { code })).status).toBe(200);
    const theirs = (await entries('/api/auth/audit/deployment?limit=1000')).filter(
      (e) => e.actor_id === person.userId,
    );
    const signedIn = theirs.find((e) => e.action === 'auth.sign_in');
    expect(signedIn).toMatchObject({ target: person.userId });
    // A sign-in is about the person, not an address: no email is recorded that could later be another's.
    expect(signedIn).not.toHaveProperty('target_email');
    // The change names the person by id, and the address it is about beside it.
    expect(theirs.find((e) => e.action === 'user.email_changed')).toMatchObject({
      target: person.userId,
      target_email: moved,
      target_hash: hashEmail(moved),
    });
  });

  it('grant and revoke name their target the same way; every entry says who acted by type and id', async () => {
    const email = `grantee-${database.kind}@example.com`;
    expect((await post('/roles', ADMIN, { email, app_id: 'pylon', archetype: 'pylon-auditor' })).status).toBe(
      200,
    );
    const revoked = await t.request(`/roles/pylon/${hashEmail(email)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(revoked.status).toBe(200);
    const audit = await entries('/audit?limit=1000');
    const granted = audit.find((e) => e.action === 'role.granted' && e.target_email === email);
    const gone = audit.find((e) => e.action === 'role.revoked' && e.target_hash === hashEmail(email));
    for (const entry of [granted, gone]) {
      expect(entry).toMatchObject({
        actor: 'admin',
        actor_type: 'admin',
        actor_id: null,
        target: email,
        target_email: email,
        target_hash: hashEmail(email),
      });
    }
    for (const entry of audit) {
      expect(typeof entry.actor_type, entry.action).toBe('string');
      expect(entry).toHaveProperty('actor_id');
    }
  });
});
