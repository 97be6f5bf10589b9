import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryAudit } from '../../src/audit/audit-log.js';
import { SessionStore } from '../../src/features/identity/session-store.js';
import { UserStore } from '../../src/features/identity/user-store.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ADMIN = 'admin-token-for-guest-tests-0123456789';
const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
type Body = Record<string, unknown> & { error?: { code: string } };

describe.each(testDatabases)('guests and user administration on $kind', (database) => {
  let t: TestServer;
  let n = 0;
  const fresh = () => `guest-test${++n}@example.com`;
  const call = async (path: string, init?: RequestInit) => {
    const response = await t.request(`/api/auth${path}`, init);
    return { status: response.status, body: (await response.json()) as Body };
  };
  const guest = async () => {
    const created = await call('/guest', { method: 'POST' });
    expect(created.status).toBe(201);
    return created.body as { token: string; user_id: string; guest: true };
  };
  /** The deployment audit as a deployment admin reads it over HTTP. */
  const deploymentAudit = async (action?: string) => {
    const page = await call(`/audit/deployment?limit=1000${action ? `&action=${action}` : ''}`, {
      headers: bearer(ADMIN),
    });
    expect(page.status).toBe(200);
    return page.body.entries as Array<Record<string, unknown> & { action: string }>;
  };
  // No HTTP view answers "does this user id still exist": ask the store.
  const userExists = async (id: string) =>
    (await new UserStore(t.storage.db, t.server.services.random).findById(id)) !== null;

  beforeAll(async () => {
    t = await startTestServer(database, {
      env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_RATE_LIMIT_GUESTS_PER_IP_MINUTE: '5' },
    });
  });
  afterAll(() => t.close());

  it('POST /guest answers 201 with a guest_ user whose id is stable for the session', async () => {
    const g = await guest();
    expect(g).toMatchObject({ guest: true, user_id: expect.stringMatching(/^guest_[0-9a-f]{24}$/) });
    const me = await call('/me', { headers: bearer(g.token) });
    expect(me.body).toMatchObject({ userId: g.user_id, isGuest: true, email: null });
    const refreshed = await call('/refresh', { method: 'POST', headers: bearer(g.token) });
    expect((await call('/me', { headers: bearer(refreshed.body.token as string) })).body.userId).toBe(
      g.user_id,
    );
  });

  it('guest creation is rate-limited per address', async () => {
    t.clock.advance(60_000);
    for (let i = 0; i < 5; i++) expect((await call('/guest', { method: 'POST' })).status).toBe(201);
    const refused = await call('/guest', { method: 'POST' });
    expect(refused.status).toBe(429);
    expect(refused.body.error?.code).toBe('RATE_LIMITED');
    t.clock.advance(60_000);
  });

  it('signing in from a guest session merges the guest into the account (audited)', async () => {
    const g = await guest();
    const email = fresh();
    const registered = await call(
      '/password/register',
      json({ email, password: 'merge the guest in' }, bearer(g.token)),
    );
    expect(registered.status).toBe(200);
    expect(registered.body.user_id).not.toBe(g.user_id);
    expect((await call('/me', { headers: bearer(g.token) })).body.userId).toBeNull();
    expect(await userExists(g.user_id)).toBe(false);
    const entries = await deploymentAudit('guest.merged');
    expect(entries.find((e) => e.target === g.user_id)).toMatchObject({
      actor: email,
      actor_id: registered.body.user_id,
      detail: { guest_id: g.user_id, user_id: registered.body.user_id, method: 'password' },
    });
  });

  it('the same happens when the guest signs in with a magic code to an existing account', async () => {
    const email = fresh();
    const existing = await call('/password/register', json({ email, password: 'an existing account' }));
    const g = await guest();
    t.clock.advance(60_000);
    const sent = await call('/magic/send', json({ email }));
    const verified = await call('/magic/verify', json({ email, code: sent.body.dev_code }, bearer(g.token)));
    expect(verified.body.user_id).toBe(existing.body.user_id);
    expect(await userExists(g.user_id)).toBe(false);
  });

  it("a guest's orgs go on with the account it signs in to (the higher role kept); its API keys are revoked", async () => {
    const email = fresh();
    t.clock.advance(60_000);
    const code = (await call('/magic/send', json({ email }))).body.dev_code;
    const account = (await call('/magic/verify', json({ email, code }))).body as {
      token: string;
      user_id: string;
    };
    const g = await guest();
    // The guest owns two orgs; the account is already a plain member of one of them.
    const alone = await call('/orgs', json({ name: 'Guest alone' }, bearer(g.token)));
    const shared = await call('/orgs', json({ name: 'Guest shared' }, bearer(g.token)));
    expect([alone.status, shared.status, alone.body.role]).toEqual([201, 201, 'owner']);
    const invite = await call(
      `/orgs/${shared.body.id}/invites`,
      json({ email, role: 'member' }, bearer(g.token)),
    );
    const accepted = await call(`/invites/${invite.body.token}/accept`, {
      method: 'POST',
      headers: bearer(account.token),
    });
    expect(accepted.body).toEqual({ org_id: shared.body.id, role: 'member' });
    const key = (await call('/api-keys', json({ name: 'guest key' }, bearer(g.token)))).body.key as string;
    expect((await call('/me', { headers: bearer(key) })).status).toBe(200);

    t.clock.advance(60_000);
    const again = (await call('/magic/send', json({ email }))).body.dev_code;
    const merged = await call('/magic/verify', json({ email, code: again }, bearer(g.token)));
    expect(merged.body.user_id).toBe(account.user_id);

    for (const org of [alone.body.id, shared.body.id] as string[]) {
      const members = await call(`/orgs/${org}/members`, { headers: bearer(merged.body.token as string) });
      expect(members.body).toEqual([expect.objectContaining({ user_id: account.user_id, role: 'owner' })]);
    }
    // Whoever held the guest's session held its key: the key does not become the account's.
    const refused = await call('/me', { headers: bearer(key) });
    expect([refused.status, refused.body.error?.code]).toEqual([401, 'INVALID_API_KEY']);
    const entry = (await deploymentAudit('guest.merged')).find((e) => e.target === g.user_id);
    expect(entry?.detail).toMatchObject({ moved_org_memberships: 2, revoked_credentials: ['api_keys'] });
    const orgAudit = async (org: string) =>
      (await queryAudit(t.storage.db, { org, limit: 100 })).entries.filter(
        (e) => e.detail?.via === 'guest_merge',
      );
    expect((await orgAudit(alone.body.id as string)).map((e) => [e.action, e.target])).toEqual(
      expect.arrayContaining([
        ['org.member_removed', g.user_id],
        ['org.member_added', account.user_id],
      ]),
    );
    expect(
      (await orgAudit(shared.body.id as string)).find((e) => e.action === 'org.role_changed')?.detail,
    ).toMatchObject({ from: 'member', to: 'owner', guest_id: g.user_id });
  });

  it('disabling a user revokes their API keys for good: enabling them brings none back', async () => {
    const email = fresh();
    const registered = await call('/password/register', json({ email, password: 'keys that must end' }));
    const userId = registered.body.user_id as string;
    const key = (await call('/api-keys', json({ name: 'ci' }, bearer(registered.body.token as string)))).body
      .key as string;
    expect((await call('/me', { headers: bearer(key) })).status).toBe(200);
    const disabled = await call(`/users/${userId}/disable`, { method: 'POST', headers: bearer(ADMIN) });
    expect(disabled.body).toEqual({ user_id: userId, disabled: true, revoked_count: 1 });
    expect((await call(`/users/${userId}/enable`, { method: 'POST', headers: bearer(ADMIN) })).status).toBe(
      200,
    );
    const refused = await call('/me', { headers: bearer(key) });
    expect([refused.status, refused.body.error?.code]).toEqual([401, 'INVALID_API_KEY']);
    const entry = (await deploymentAudit('user.disabled')).find((e) => e.target === userId);
    expect(entry?.detail).toMatchObject({ revoked_sessions: 1, revoked_api_keys: 1 });
  });

  it('a new guest session does not swallow the guest it was asked from', async () => {
    const first = await guest();
    const second = (await call('/guest', { method: 'POST', headers: bearer(first.token) })).body;
    expect(second.user_id).not.toBe(first.user_id);
    expect((await call('/me', { headers: bearer(first.token) })).body.userId).toBe(first.user_id);
  });

  it('/upgrade turns a guest into a real user keeping its id (admin only)', async () => {
    const g = await guest();
    const email = fresh();
    const denied = await startTestServer(database, {
      env: {
        PYLON_ENV: 'production',
        PYLON_PUBLIC_URL: 'https://auth.example.com',
        PYLON_ADMIN_TOKEN: 'ab'.repeat(32),
      },
    });
    try {
      const response = await denied.request('/api/auth/upgrade', json({ user_id: g.user_id, email }));
      expect(response.status).toBe(403);
    } finally {
      await denied.close();
    }
    const upgraded = await call('/upgrade', json({ user_id: g.user_id, email }, bearer(ADMIN)));
    expect(upgraded.body).toEqual({ user_id: g.user_id, email, guest: false });
    expect((await call('/me', { headers: bearer(g.token) })).body).toMatchObject({
      userId: g.user_id,
      email,
      isGuest: false,
    });
    const again = await call('/upgrade', json({ user_id: g.user_id, email: fresh() }, bearer(ADMIN)));
    expect(again.body.error?.code).toBe('NOT_A_GUEST');
    const other = await guest();
    const taken = await call('/upgrade', json({ user_id: other.user_id, email }, bearer(ADMIN)));
    expect(taken.status).toBe(409);
    expect(taken.body.error?.code).toBe('EMAIL_TAKEN');
    expect(
      (await call('/upgrade', json({ user_id: other.user_id, email: 'nope' }, bearer(ADMIN)))).body.error
        ?.code,
    ).toBe('INVALID_EMAIL');
  });

  it('disabling a user revokes all its sessions at once and refuses sign-in; enabling lets them back', async () => {
    const email = fresh();
    const password = 'soon to be disabled';
    const first = await call('/password/register', json({ email, password }));
    const second = await call('/password/login', json({ email, password }));
    const userId = first.body.user_id as string;

    expect(
      (
        await call(`/users/${userId}/disable`, {
          method: 'POST',
          headers: bearer(second.body.token as string),
        })
      ).status,
    ).toBe(403);
    const disabled = await call(`/users/${userId}/disable`, { method: 'POST', headers: bearer(ADMIN) });
    expect(disabled.body).toEqual({ user_id: userId, disabled: true, revoked_count: 2 });
    const sessions = new SessionStore(t.storage.db, t.server.services.random);
    expect(await sessions.listForUser(userId, t.clock.now())).toEqual([]);
    for (const token of [first.body.token, second.body.token] as string[])
      expect((await call('/sessions', { headers: bearer(token) })).status).toBe(401);

    const login = await call('/password/login', json({ email, password }));
    expect(login.body.error?.code).toBe('INVALID_CREDENTIALS');
    t.clock.advance(60_000);
    const sent = await call('/magic/send', json({ email }));
    const magic = await call('/magic/verify', json({ email, code: sent.body.dev_code }));
    expect(magic.status).toBe(403);
    expect(magic.body.token).toBeUndefined();

    expect((await call('/users/usr_nope/disable', { method: 'POST', headers: bearer(ADMIN) })).status).toBe(
      404,
    );
    const enabled = await call(`/users/${userId}/enable`, { method: 'POST', headers: bearer(ADMIN) });
    expect(enabled.body).toEqual({ user_id: userId, disabled: false, revoked_count: 0 });
    expect((await call('/password/login', json({ email, password }))).status).toBe(200);
    const actions = (await deploymentAudit()).filter((e) => e.actor === 'admin').map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['user.disabled', 'user.enabled', 'guest.upgraded']));
  });
});
