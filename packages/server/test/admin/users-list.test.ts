import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from '../../src/features/identity/user-store.js';
import { OrgStore } from '../../src/features/orgs/org-store.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ADMIN = 'admin-token-for-user-list-tests-0123456789abcdef';
const BOSS = 'boss@example.com';

type Listed = {
  user_id: string;
  email: string | null;
  email_verified: boolean;
  display_name: string | null;
  created_at: number;
  disabled: boolean;
};
type Body = { users?: Listed[]; next_cursor?: string; error?: { code: string; message?: string } };

describe.each(testDatabases)('GET /api/auth/users on $kind', (database) => {
  let t: TestServer;
  let bossToken: string;
  let memberToken: string;
  let strangerToken: string;
  let guestToken: string;
  /** Every real (non-guest) user's id. */
  const everyone: string[] = [];

  const list = async (query: string, token?: string) => {
    const response = await t.request(`/api/auth/users${query}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: response.status, body: (await response.json()) as Body };
  };

  const signIn = async (email: string) => {
    t.clock.advance(61_000);
    const send = await t.request('/api/auth/magic/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    const { dev_code } = (await send.json()) as { dev_code: string };
    const verify = await t.request('/api/auth/magic/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, code: dev_code }),
    });
    const body = (await verify.json()) as { token: string; user_id: string };
    everyone.push(body.user_id);
    return body;
  };

  beforeAll(async () => {
    t = await startTestServer(database, {
      env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_BOOTSTRAP_ADMIN_EMAIL: BOSS },
    });
    bossToken = (await signIn(BOSS)).token;
    const member = await signIn('member@example.com');
    memberToken = member.token;
    strangerToken = (await signIn('stranger@example.com')).token;
    await t.request('/bootstrap', { method: 'POST', headers: { authorization: `Bearer ${bossToken}` } });
    const orgs = new OrgStore(t.storage.db, t.storage.dialect);
    await orgs.addMember(t.storage.db, 'default', member.user_id, 'member', t.clock.now());
    const guest = await t.request('/api/auth/guest', { method: 'POST' });
    guestToken = ((await guest.json()) as { token: string }).token;

    // Emails with LIKE's wildcards in them, and many users created in the same millisecond, so
    // pages must break ties on the id.
    const users = t.server.services.storage.db;
    const store = new UserStore(users, t.server.services.random);
    const at = t.clock.now();
    for (const email of [
      'per%cent@example.com',
      'percent@example.com',
      'under_score@example.com',
      'underxscore@example.com',
      'back\\slash@example.com',
      'bang!@example.com',
    ]) {
      everyone.push((await store.create(users, at, { email, displayName: 'Wild' })).id);
    }
    for (let i = 0; i < 17; i++) {
      everyone.push((await store.create(users, at + (i % 3), { email: `bulk-${i}@example.com` })).id);
    }
  });
  afterAll(() => t.close());

  it('the admin token and a bootstrapped admin list users; members, strangers and guests get 403; anonymous 401', async () => {
    expect((await list('', ADMIN)).status).toBe(200);
    expect((await list('', bossToken)).status).toBe(200);
    for (const token of [memberToken, strangerToken, guestToken]) {
      const refused = await list('', token);
      expect(refused.status).toBe(403);
      expect(refused.body.error?.code).toBe('FORBIDDEN');
    }
    const anonymous = await list('');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error?.code).toBe('UNAUTHORIZED');
    const forged = await list('', 'pylon_' + '0'.repeat(64));
    expect(forged.status).toBe(401);
  });

  it('answers the documented shape, oldest first, seconds on the wire, guests excluded', async () => {
    const { body } = await list('?limit=200', ADMIN);
    const boss = body.users!.find((user) => user.email === BOSS)!;
    expect(boss).toEqual({
      user_id: everyone[0],
      email: BOSS,
      email_verified: true,
      display_name: null,
      created_at: expect.any(Number),
      disabled: false,
    });
    expect(boss.created_at).toBeLessThan(10_000_000_000);
    expect(body.users!.every((user) => !user.user_id.startsWith('guest_'))).toBe(true);
    expect(body.users!.find((user) => user.email === 'percent@example.com')).toMatchObject({
      email_verified: false,
      display_name: 'Wild',
    });
    expect(body.next_cursor).toBeUndefined();

    const stranger = body.users!.find((user) => user.email === 'stranger@example.com')!;
    await t.request(`/api/auth/users/${stranger.user_id}/disable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const after = await list('?q=stranger', ADMIN);
    expect(after.body.users).toEqual([{ ...stranger, disabled: true }]);
    await t.request(`/api/auth/users/${stranger.user_id}/enable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
  });

  it('q matches a substring of the email, case-insensitively, with % _ ! and \\ taken literally', async () => {
    const emails = async (q: string) =>
      (await list(`?q=${encodeURIComponent(q)}`, ADMIN)).body.users!.map((user) => user.email).sort();
    expect(await emails('%')).toEqual(['per%cent@example.com']);
    expect(await emails('_')).toEqual(['under_score@example.com']);
    expect(await emails('r_s')).toEqual(['under_score@example.com']);
    expect(await emails('UNDER')).toEqual(['under_score@example.com', 'underxscore@example.com']);
    expect(await emails('!')).toEqual(['bang!@example.com']);
    expect(await emails('\\')).toEqual(['back\\slash@example.com']);
    expect(await emails('nobody-has-this')).toEqual([]);
  });

  it('pages by cursor cover every user exactly once', async () => {
    for (const limit of [1, 4, 7]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await list(
          `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          ADMIN,
        );
        expect(page.status).toBe(200);
        expect(page.body.users!.length).toBeLessThanOrEqual(limit);
        seen.push(...page.body.users!.map((user) => user.user_id));
        cursor = page.body.next_cursor;
        pages++;
      } while (cursor !== undefined && pages < 100);
      expect(seen.length).toBe(everyone.length);
      expect([...seen].sort()).toEqual([...everyone].sort());
    }
    const filtered = await list('?q=bulk-&limit=5', ADMIN);
    expect(filtered.body.users).toHaveLength(5);
    const rest = await list(`?q=bulk-&limit=200&cursor=${filtered.body.next_cursor}`, ADMIN);
    expect(rest.body.users).toHaveLength(12);
    expect(rest.body.next_cursor).toBeUndefined();
  });

  it('refuses a limit outside 1–200 and a cursor it did not give out', async () => {
    for (const query of [
      '?limit=0',
      '?limit=201',
      '?limit=abc',
      `?cursor=${Buffer.from('1.x;drop').toString('base64url')}`,
      '?cursor=%25%25',
    ]) {
      const refused = await list(query, ADMIN);
      expect(refused.status, query).toBe(400);
      expect(refused.body.error?.code, query).toBe('VALIDATION_FAILED');
    }
    expect((await list('?limit=200', ADMIN)).status).toBe(200);
  });

  it('is listed in the OpenAPI document with its query and response', async () => {
    const document = (await (await t.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>>;
    };
    const operation = document.paths['/api/auth/users']?.get;
    expect(operation?.parameters?.map((parameter) => parameter.name).sort()).toEqual([
      'cursor',
      'limit',
      'q',
    ]);
  });
  it('a bootstrapped admin disables and enables users with their session; members cannot, nobody disables themselves', async () => {
    const target = await signIn('disable-me@example.com');
    const call = (action: 'disable' | 'enable', userId: string, token?: string) =>
      t.request(`/api/auth/users/${userId}/${action}`, {
        method: 'POST',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    expect((await call('disable', target.user_id)).status).toBe(401);
    for (const token of [memberToken, guestToken, target.token]) {
      expect((await call('disable', target.user_id, token)).status).toBe(403);
    }
    const boss = (await list(`?q=${encodeURIComponent(BOSS)}`, ADMIN)).body.users![0]!;
    const self = await call('disable', boss.user_id, bossToken);
    expect(self.status).toBe(403);
    expect(((await self.json()) as Body).error).toMatchObject({
      code: 'FORBIDDEN',
      message: 'You cannot disable your own account',
    });

    // A deployment admin sees the user's live sessions; nobody else does.
    const seen = async (token?: string) =>
      t.request(`/api/auth/users/${target.user_id}/sessions`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    expect((await seen()).status).toBe(401);
    expect((await seen(memberToken)).status).toBe(403);
    const live = (await (await seen(bossToken)).json()) as Array<{ kind: string; current: boolean }>;
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ kind: 'browser', current: false });
    // An id no account has is 404, not an empty list.
    const unknown = await t.request('/api/auth/users/usr_nonexistent/sessions', {
      headers: { authorization: `Bearer ${bossToken}` },
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Body).error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'No such user',
    });

    const disabled = await call('disable', target.user_id, bossToken);
    expect(await disabled.json()).toEqual({ user_id: target.user_id, disabled: true, revoked_count: 1 });
    // Disabling again changes nothing and audits nothing more.
    const twice = await call('disable', target.user_id, bossToken);
    expect(await twice.json()).toEqual({ user_id: target.user_id, disabled: true, revoked_count: 0 });
    expect(
      (await t.request('/api/auth/sessions', { headers: { authorization: `Bearer ${target.token}` } }))
        .status,
    ).toBe(401);
    const audit = await t.storage.db
      .selectFrom('audit_events')
      .select(['actor_type', 'actor_id'])
      .where('action', '=', 'user.disabled')
      .where('target', '=', target.user_id)
      .execute();
    expect(audit).toEqual([{ actor_type: 'user', actor_id: boss.user_id }]);
    expect(await (await seen(bossToken)).json()).toEqual([]);
    expect((await call('enable', target.user_id, bossToken)).status).toBe(200);
    expect((await list(`?q=disable-me`, ADMIN)).body.users![0]!.disabled).toBe(false);
  });
});
