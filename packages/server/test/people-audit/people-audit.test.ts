import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrgStore } from '../../src/features/orgs/org-store.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Entry = { action: string; actor_id: string | null; target?: string; org: string };
type Body = Record<string, unknown> & { error?: { code: string }; entries?: Entry[]; next_cursor?: string };
const ADMIN = 'admin-token-for-people-audit-0123456789';

describe.each(testDatabases)('audit for people on $kind', (database) => {
  let t: TestServer;
  let n = 0;
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const response = await t.request(path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };
  const person = async () => {
    const email = `audit${++n}-${database.kind}@example.com`;
    t.clock.advance(61_000);
    const sent = await call('POST', '/api/auth/magic/send', undefined, { email });
    const verified = await call('POST', '/api/auth/magic/verify', undefined, {
      email,
      code: sent.body.dev_code,
    });
    return { email, token: verified.body.token as string, userId: verified.body.user_id as string };
  };
  const signInAgain = async (email: string) => {
    t.clock.advance(61_000);
    const sent = await call('POST', '/api/auth/magic/send', undefined, { email });
    return (await call('POST', '/api/auth/magic/verify', undefined, { email, code: sent.body.dev_code })).body
      .token as string;
  };

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
  });
  afterAll(() => t.close());

  it('shows a person what they did and what was done to them, never another person’s events', async () => {
    const me = await person();
    const other = await person();
    await call('POST', `/api/auth/users/${me.userId}/disable`, ADMIN);
    await call('POST', `/api/auth/users/${me.userId}/enable`, ADMIN);
    const token = await signInAgain(me.email);
    const mine = await call('GET', '/api/auth/audit', token);
    expect(mine.status).toBe(200);
    const entries = mine.body.entries!;
    expect(entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['user.created', 'auth.sign_in', 'user.disabled', 'user.enabled']),
    );
    expect(entries.find((e) => e.action === 'user.disabled')).toMatchObject({
      actor_id: null,
      target: me.userId,
    });
    for (const entry of entries) expect([entry.actor_id, entry.target]).not.toContain(other.userId);
    // Paging: one at a time from the start walks the same entries, oldest first.
    const walked: Entry[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(
        'GET',
        `/api/auth/audit?since=0&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        token,
      );
      walked.push(...page.body.entries!);
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(walked.map((e) => e.action)).toEqual(entries.map((e) => e.action));
  });

  it('refuses the signed out, API keys and a forged cursor', async () => {
    expect((await call('GET', '/api/auth/audit')).body.error?.code).toBe('UNAUTHORIZED');
    const me = await person();
    const key = (await call('POST', '/api/auth/api-keys', me.token, {})).body.key as string;
    expect((await call('GET', '/api/auth/audit', key)).body.error?.code).toBe('API_KEY_AUTH_FORBIDDEN');
    const forged = Buffer.from('not a cursor').toString('base64url');
    expect(await call('GET', `/api/auth/audit?cursor=${forged}`, me.token)).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED' } },
    });
  });

  it("shows the active org's audit to its owners and admins only", async () => {
    const owner = await person();
    const member = await person();
    const org = `people-audit-${database.kind}`;
    expect((await call('POST', '/api/auth/orgs', owner.token, { name: 'Acme', id: org })).status).toBe(201);
    await t.storage.db
      .transaction()
      .execute((trx) =>
        new OrgStore(t.storage.db, t.storage.dialect).addMember(
          trx,
          org,
          member.userId,
          'member',
          t.clock.now(),
        ),
      );
    // No active org yet.
    expect((await call('GET', '/api/auth/audit/tenant', owner.token)).body.error?.code).toBe('FORBIDDEN');
    await call('POST', '/api/auth/select-org', owner.token, { orgId: org });
    const read = await call('GET', '/api/auth/audit/tenant', owner.token);
    expect(read.status).toBe(200);
    expect(read.body.entries!.length).toBeGreaterThan(0);
    for (const entry of read.body.entries!) expect(entry.org).toBe(org);
    expect((await call('POST', '/api/auth/select-org', member.token, { orgId: org })).status).toBe(200);
    expect(await call('GET', '/api/auth/audit/tenant', member.token)).toMatchObject({
      status: 403,
      body: { error: { code: 'FORBIDDEN' } },
    });
  });
});
