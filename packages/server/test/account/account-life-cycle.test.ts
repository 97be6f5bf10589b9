import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletedUserPseudonym } from '../../src/features/account/account-deletion.js';
import { SessionStore } from '../../src/features/identity/session-store.js';
import { UserStore } from '../../src/features/identity/user-store.js';
import { OrgStore } from '../../src/features/orgs/org-store.js';
import { PasskeyStore } from '../../src/features/passkeys/passkey-store.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const json = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(testDatabases)('account life cycle on $kind', (database) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(database);
  });
  afterAll(() => t.close());

  const call = async (path: string, token: string, init: { method?: string; body?: unknown } = {}) => {
    const response = await t.request(`/api/auth${path}`, {
      method: init.method ?? 'GET',
      headers: { ...json, ...bearer(token) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: answers of several shapes, read field by field.
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const register = async (email: string, password = 'life cycle password') => {
    const response = await t.request('/api/auth/password/register', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email, password }),
    });
    return (await response.json()) as { token: string; user_id: string };
  };
  const codeSentTo = (email: string) => {
    const message = t.mail.filter((m) => m.to === email).at(-1);
    return /\b(\d{6})\b/.exec(message?.text ?? '')?.[1];
  };
  const users = () => new UserStore(t.storage.db, t.server.services.random);
  const sessions = () => new SessionStore(t.storage.db, t.server.services.random);
  /** An account with no password and no verified address: only its linked identities sign in. */
  const socialOnly = async (links: number) => {
    const user = await users().create(t.storage.db, t.clock.now(), { email: null });
    for (let i = 0; i < links; i++) {
      await users().linkIdentity(t.storage.db, {
        provider: 'github',
        subject: `${user.id}-${i}`,
        userId: user.id,
        email: null,
        now: t.clock.now() + i,
      });
    }
    const { token } = await sessions().create(t.clock.now(), {
      userId: user.id,
      kind: 'browser',
      ttlSeconds: 3600,
    });
    return { userId: user.id, token };
  };

  it('GET /session answers the session and its user; a refresh keeps the sign-in time', async () => {
    const { token, user_id } = await register('session@example.com');
    const signedInAt = Math.floor(t.clock.now() / 1000);
    const first = await call('/session', token);
    expect(first.status).toBe(200);
    expect(first.body.user).toMatchObject({
      id: user_id,
      email: 'session@example.com',
      emailVerified: false,
      displayName: null,
      hasPassword: true,
    });
    expect(first.body.session).toMatchObject({ kind: 'browser', authenticated_at: signedInAt });
    t.clock.advance(60_000);
    const refreshed = await call('/refresh', token, { method: 'POST' });
    const after = await call('/session', refreshed.body.token);
    expect(after.body.session.created_at).toBe(signedInAt + 60);
    expect(after.body.session.authenticated_at).toBe(signedInAt);
    expect((await call('/session', token)).status).toBe(401);
  });

  it('changes the address with a code sent to the new one; sessions stay, the old address is told', async () => {
    const { token, user_id } = await register('old@example.com');
    const other = await t.request('/api/auth/password/login', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email: 'old@example.com', password: 'life cycle password' }),
    });
    const second = ((await other.json()) as { token: string }).token;
    const asked = await call('/email/change', token, {
      method: 'POST',
      body: { newEmail: 'New@Example.com' },
    });
    expect(asked).toMatchObject({ status: 200, body: { sent: true, newEmail: 'new@example.com' } });
    const code = codeSentTo('new@example.com')!;
    expect(code).toMatch(/^\d{6}$/);
    const wrong = code === '000000' ? '111111' : '000000';
    expect(
      (await call('/email/change/verify', token, { method: 'POST', body: { code: wrong } })).body.error.code,
    ).toBe('INVALID_CODE');
    const done = await call('/email/change/verify', token, { method: 'POST', body: { code } });
    expect(done).toEqual({ status: 200, body: { changed: true, email: 'new@example.com' } });
    const user = await users().findById(user_id);
    expect(user?.email).toBe('new@example.com');
    expect(user?.emailVerifiedAt).toBe(t.clock.now());
    expect((await call('/session', second)).status).toBe(200);
    expect(t.mail.at(-1)).toMatchObject({ to: 'old@example.com', subject: 'Your email address was changed' });
    // Used once: a replay finds no pending change.
    expect((await call('/email/change/verify', token, { method: 'POST', body: { code } })).status).toBe(401);
  });

  it('answers a taken address like a free one, sends it nothing, and refuses a change raced by a sign-up', async () => {
    const { token } = await register('racer@example.com');
    await register('taken@example.com');
    const sentBefore = t.mail.length;
    const asked = await call('/email/change', token, {
      method: 'POST',
      body: { newEmail: 'taken@example.com' },
    });
    expect(asked).toMatchObject({ status: 200, body: { sent: true, newEmail: 'taken@example.com' } });
    expect(t.mail.length).toBe(sentBefore);

    await call('/email/change', token, { method: 'POST', body: { newEmail: 'contested@example.com' } });
    const code = codeSentTo('contested@example.com')!;
    await register('contested@example.com');
    const raced = await call('/email/change/verify', token, { method: 'POST', body: { code } });
    expect(raced).toMatchObject({ status: 409, body: { error: { code: 'EMAIL_TAKEN' } } });
    expect((await call('/session', token)).body.user.email).toBe('racer@example.com');
  });

  it('throttles asks for a taken address like a free one, so a second ask does not tell them apart', async () => {
    const { token } = await register('prober@example.com');
    await register('probed@example.com');
    const ask = async (newEmail: string) =>
      (await call('/email/change', token, { method: 'POST', body: { newEmail } })).status;
    expect([await ask('probed@example.com'), await ask('probed@example.com')]).toEqual([200, 429]);
    expect([await ask('unprobed@example.com'), await ask('unprobed@example.com')]).toEqual([200, 429]);
  });

  it('refuses the same address, a malformed one, and a verify with nothing pending', async () => {
    const { token } = await register('same@example.com');
    expect(
      (await call('/email/change', token, { method: 'POST', body: { newEmail: 'same@example.com' } })).body
        .error.code,
    ).toBe('EMAIL_UNCHANGED');
    expect(
      (await call('/email/change', token, { method: 'POST', body: { newEmail: 'nope' } })).body.error.code,
    ).toBe('INVALID_EMAIL');
    expect(
      (await call('/email/change/verify', token, { method: 'POST', body: { code: '123456' } })).body.error
        .code,
    ).toBe('INVALID_CODE');
  });

  it('deletes an account signed in within 5 minutes: sessions, memberships, identities gone, audit pseudonymised', async () => {
    const { token, user_id } = await register('leaving@example.com');
    const orgs = new OrgStore(t.storage.db, t.storage.dialect);
    const owner = await register('owner@example.com');
    await orgs.create(t.storage.db, { id: 'shared-org', name: 'Shared', now: t.clock.now() });
    await orgs.addMember(t.storage.db, 'shared-org', owner.user_id, 'owner', t.clock.now());
    await orgs.addMember(t.storage.db, 'shared-org', user_id, 'owner', t.clock.now());
    await users().linkIdentity(t.storage.db, {
      provider: 'github',
      subject: 'leaving-1',
      userId: user_id,
      email: 'leaving@example.com',
      now: t.clock.now(),
    });
    t.clock.advance(4 * 60_000);
    const deleted = await call('/account', token, { method: 'DELETE' });
    expect(deleted).toEqual({ status: 200, body: { deleted: true } });
    expect(await users().findById(user_id)).toBeNull();
    expect(await users().findLinkedUser('github', 'leaving-1')).toBeNull();
    expect(await orgs.roleOf('shared-org', user_id)).toBeNull();
    expect((await call('/session', token)).status).toBe(401);
    const named = await t.storage.db
      .selectFrom('audit_events')
      .select(['action', 'actor', 'target', 'target_email'])
      .where((eb) =>
        eb.or([
          eb('actor', '=', 'leaving@example.com'),
          eb('target', '=', 'leaving@example.com'),
          eb('target_email', '=', 'leaving@example.com'),
        ]),
      )
      .execute();
    expect(named).toEqual([]);
    const events = await t.storage.db
      .selectFrom('audit_events')
      .select(['action', 'actor'])
      .where('actor_id', '=', user_id)
      .execute();
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['user.created', 'user.deleted']));
    expect(new Set(events.map((e) => e.actor))).toEqual(new Set([deletedUserPseudonym(user_id)]));
    // The linked identity went with the credentials, through the droppers the first proof uses.
    const deletion = await t.storage.db
      .selectFrom('audit_events')
      .select('detail')
      .where('actor_id', '=', user_id)
      .where('action', '=', 'user.deleted')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(deletion.detail ?? '{}')).toMatchObject({
      dropped_credentials: ['password', 'linked_identities'],
    });
  });

  it('refuses deletion without a recent sign-in (a refresh is not one) unless the right password is sent', async () => {
    const { token, user_id } = await register('stale@example.com');
    t.clock.advance(5 * 60_000 + 1);
    expect((await call('/account', token, { method: 'DELETE' })).body.error.code).toBe('REAUTH_REQUIRED');
    const refreshed = (await call('/refresh', token, { method: 'POST' })).body.token as string;
    const stale = await call('/account', refreshed, { method: 'DELETE' });
    expect(stale).toMatchObject({ status: 403, body: { error: { code: 'REAUTH_REQUIRED' } } });
    const wrong = await call('/account', refreshed, {
      method: 'DELETE',
      body: { password: 'not the password' },
    });
    expect(wrong.body.error.code).toBe('REAUTH_REQUIRED');
    expect(await users().findById(user_id)).not.toBeNull();
    const right = await call('/account', refreshed, {
      method: 'DELETE',
      body: { password: 'life cycle password' },
    });
    expect(right.status).toBe(200);
    expect(await users().findById(user_id)).toBeNull();
  });

  it('refuses to delete the last owner of an org, and changes nothing', async () => {
    const { token, user_id } = await register('sole@example.com');
    const orgs = new OrgStore(t.storage.db, t.storage.dialect);
    await orgs.create(t.storage.db, { id: 'sole-org', name: 'Sole', now: t.clock.now() });
    await orgs.addMember(t.storage.db, 'sole-org', user_id, 'owner', t.clock.now());
    const refused = await call('/account', token, { method: 'DELETE' });
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'LAST_OWNER' } } });
    expect(await orgs.roleOf('sole-org', user_id)).toBe('owner');
    expect((await call('/session', token)).status).toBe(200);
  });

  it('lists linked accounts and unlinks them, never the last way in', async () => {
    const { userId, token } = await socialOnly(2);
    const listed = await call('/linked-accounts', token);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([
      expect.objectContaining({ provider: 'github', subject: `${userId}-0`, email: null }),
      expect.objectContaining({ provider: 'github', subject: `${userId}-1`, email: null }),
    ]);
    expect((await call(`/linked-accounts/github/${userId}-0`, token, { method: 'DELETE' })).status).toBe(200);
    const last = await call(`/linked-accounts/github/${userId}-1`, token, { method: 'DELETE' });
    expect(last).toMatchObject({ status: 409, body: { error: { code: 'LAST_SIGN_IN_METHOD' } } });
    expect(await users().findLinkedUser('github', `${userId}-1`)).toBe(userId);
    expect(
      (await call(`/linked-accounts/github/${userId}-0`, token, { method: 'DELETE' })).body.error.code,
    ).toBe('LINKED_ACCOUNT_NOT_FOUND');
  });

  it('a passkey counts as a way in: its holder may unlink the last identity', async () => {
    const { userId, token } = await socialOnly(1);
    // Set up through the passkey store: the passkey ceremony itself is tested in test/passkeys.
    const passkeys = new PasskeyStore(t.storage.db, t.server.services.random);
    await passkeys.create({
      userId,
      credentialId: `cred-${userId}`,
      publicKey: 'pQECAyYgASFYIA',
      counter: 0,
      transports: ['internal'],
      name: 'laptop',
      now: t.clock.now(),
    });
    expect((await call(`/linked-accounts/github/${userId}-0`, token, { method: 'DELETE' })).status).toBe(200);
  });

  it('never removes the last passkey of an account with no other way in, by the API or the page', async () => {
    // A GitHub-only account that added a passkey, then unlinked GitHub: the passkey is all it has.
    const { userId, token } = await socialOnly(1);
    const passkeys = new PasskeyStore(t.storage.db, t.server.services.random);
    const add = (name: string) =>
      passkeys.create({
        userId,
        credentialId: `cred-${name}-${userId}`,
        publicKey: 'pQECAyYgASFYIA',
        counter: 0,
        transports: ['internal'],
        name,
        now: t.clock.now(),
      });
    const first = (await add('laptop'))!;
    expect((await call(`/linked-accounts/github/${userId}-0`, token, { method: 'DELETE' })).status).toBe(200);
    const last = await call(`/passkeys/${first.id}`, token, { method: 'DELETE' });
    expect(last).toMatchObject({ status: 409, body: { error: { code: 'LAST_SIGN_IN_METHOD' } } });
    expect((await passkeys.listOf(userId)).map((p) => p.id)).toEqual([first.id]);

    const second = (await add('phone'))!;
    expect((await call(`/passkeys/${first.id}`, token, { method: 'DELETE' })).status).toBe(200);
    expect((await call(`/passkeys/${second.id}`, token, { method: 'DELETE' })).status).toBe(409);
    const removed = await t.storage.db
      .selectFrom('audit_events')
      .select('target')
      .where('action', '=', 'passkey.removed')
      .where('actor_id', '=', userId)
      .execute();
    expect(removed).toEqual([{ target: first.id }]);

    // The account page's Remove button is the same use case.
    const cookie = `pylon_session=${token}`;
    const security = await t.request('/account/security', { headers: { cookie } });
    const setCookie = security.headers.get('set-cookie') ?? '';
    const csrf = /name="csrf" value="([^"]+)"/.exec(await security.text())![1]!;
    const csrfCookie = /pylon_page_csrf=([^;]+)/.exec(setCookie)![1]!;
    const refused = await t.request('/account/passkeys/remove', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'http://localhost:4000',
        cookie: `${cookie}; pylon_page_csrf=${csrfCookie}`,
      },
      body: new URLSearchParams({ csrf, passkey_id: second.id }).toString(),
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('This is your last way to sign in; add another one first.');
    expect((await passkeys.listOf(userId)).map((p) => p.id)).toEqual([second.id]);
  });

  it("cannot unlink another account's identity; a password account may drop its only identity", async () => {
    const victim = await socialOnly(2);
    const { token, user_id } = await register('linker@example.com');
    const foreign = await call(`/linked-accounts/github/${victim.userId}-0`, token, { method: 'DELETE' });
    expect(foreign.body.error.code).toBe('LINKED_ACCOUNT_NOT_FOUND');
    expect(await users().findLinkedUser('github', `${victim.userId}-0`)).toBe(victim.userId);
    await users().linkIdentity(t.storage.db, {
      provider: 'google',
      subject: 'g-1',
      userId: user_id,
      email: null,
      now: 1,
    });
    expect((await call('/linked-accounts/google/g-1', token, { method: 'DELETE' })).status).toBe(200);
  });
});
