import { afterEach, describe, expect, it } from 'vitest';
import { OrgStore } from '../../src/features/orgs/org-store.js';
import { firstAdminHint } from '../../src/features/rbac/bootstrap-routes.js';
import { BootstrapClaimStore } from '../../src/features/rbac/bootstrap-store.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ADMIN = 'admin-token-for-first-admin-tests-0123456789abcdef';
const ORIGIN = 'http://localhost:4000';
const PRODUCTION = {
  PYLON_ENV: 'production',
  PYLON_PUBLIC_URL: 'https://auth.example.com',
  PYLON_ADMIN_TOKEN: 'f'.repeat(64),
};

type Body = Record<string, unknown> & { error?: string | { code: string } };

interface Person {
  email: string;
  token: string;
  userId: string;
}

describe.each(testDatabases)('the first admin on $kind', (database) => {
  let t: TestServer;
  const running: TestServer[] = [];
  const start = async (env: Record<string, string> = {}) => {
    t = await startTestServer(database, { env });
    running.push(t);
    return t;
  };
  afterEach(async () => {
    for (const server of running.splice(0)) await server.close();
  });

  const call = async (
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const response = await t.request(path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };

  /** Magic-code sign-in (verifies the address); the code from the response or the recorded mail. */
  const signIn = async (email: string): Promise<Person> => {
    t.clock.advance(61_000);
    const sent = await call('POST', '/api/auth/magic/send', { body: { email } });
    const code =
      (sent.body.dev_code as string | undefined) ?? /\b(\d{6})\b/.exec(t.mail.at(-1)?.text ?? '')?.[1];
    const verified = await call('POST', '/api/auth/magic/verify', { body: { email, code } });
    expect(verified.status).toBe(200);
    return { email, token: verified.body.token as string, userId: verified.body.user_id as string };
  };

  /** Password registration: signed in, address not verified. */
  const register = async (email: string): Promise<Person> => {
    const registered = await call('POST', '/api/auth/password/register', {
      body: { email, password: 'correct horse battery staple' },
    });
    expect(registered.status).toBe(200);
    return { email, token: registered.body.token as string, userId: registered.body.user_id as string };
  };

  /** `/me` and `/whoami` at the root, side by side. */
  const standing = async (person: Person) => {
    const me = (await call('GET', '/api/auth/me', { token: person.token })).body;
    const whoami = (await call('GET', '/whoami', { token: person.token })).body;
    return { isAdmin: me.isAdmin, roles: me.roles, archetype: whoami.archetype };
  };

  const members = async () =>
    (
      (await call('GET', '/api/auth/orgs/default/members', { token: ADMIN })).body as unknown as Array<{
        email: string;
        role: string;
      }>
    ).map((member) => `${member.email}:${member.role}`);

  /** The default org's audit, oldest first, as the admin token reads it. */
  const actions = async () => {
    const page = await call('GET', '/audit?since=0&limit=1000', { token: ADMIN });
    expect(page.status).toBe(200);
    return (page.body.entries as Array<{ action: string; actor: string; detail?: unknown }>)
      .filter((event) => /^(bootstrap|role|org)\./.test(event.action))
      .map((event) =>
        `${event.action} ${event.actor} ${event.detail ? JSON.stringify(event.detail) : ''}`.trim(),
      );
  };
  // No HTTP view says whether a claim was recorded before it is consumed: ask the store.
  const claimRecorded = () => new BootstrapClaimStore(t.storage.db).isClaimed('default');

  it('with PYLON_BOOTSTRAP_ADMIN_EMAIL: /me and /whoami agree before and after; the claimant owns the default org', async () => {
    await start({ PYLON_ADMIN_TOKEN: ADMIN, PYLON_BOOTSTRAP_ADMIN_EMAIL: 'boss@example.com' });
    const boss = await signIn('boss@example.com');
    const other = await signIn('other@example.com');
    expect(await standing(boss)).toEqual({ isAdmin: false, roles: [], archetype: null });
    expect(await members()).toEqual([]);

    const refused = await call('POST', '/bootstrap', { token: other.token });
    expect(refused).toMatchObject({ status: 403, body: { error: 'not_bootstrap_email' } });
    const claimed = await call('POST', '/bootstrap', { token: boss.token });
    expect(claimed).toEqual({ status: 200, body: { email: 'boss@example.com', archetype: 'pylon-admin' } });

    expect(await standing(boss)).toEqual({ isAdmin: true, roles: ['owner'], archetype: 'pylon-admin' });
    expect(await standing(other)).toEqual({ isAdmin: false, roles: [], archetype: null });
    expect(await members()).toEqual(['boss@example.com:owner']);
    expect(await actions()).toEqual([
      `org.member_added boss@example.com {"role":"owner","via":"bootstrap"}`,
      'bootstrap.consumed boss@example.com',
      `role.granted boss@example.com {"app_id":"pylon","archetype":"pylon-admin","via":"bootstrap"}`,
    ]);
    // Each names the claimant by user id, which the chain commits to (API.md: actor_id).
    const entries = await call('GET', '/audit?since=0&limit=1000', { token: ADMIN });
    const byClaim = (entries.body.entries as Array<{ action: string; actor_type: string; actor_id: string }>)
      .filter((event) => /^(bootstrap|role|org)\./.test(event.action))
      .map((event) => `${event.actor_type} ${event.actor_id}`);
    expect(byClaim).toEqual(Array(3).fill(`user ${boss.userId}`));
    expect((await call('POST', '/bootstrap', { token: boss.token })).body.error).toBe('bootstrap_consumed');
    expect(await firstAdminHint(t.server.services)).toBeNull();
  });

  it('a member of the default org is promoted to owner by the claim (audited as a role change)', async () => {
    await start({ PYLON_ADMIN_TOKEN: ADMIN, PYLON_BOOTSTRAP_ADMIN_EMAIL: 'boss@example.com' });
    const boss = await signIn('boss@example.com');
    const orgs = new OrgStore(t.storage.db, t.storage.dialect);
    await orgs.addMember(t.storage.db, 'default', boss.userId, 'member', t.clock.now());
    expect(await standing(boss)).toEqual({ isAdmin: false, roles: ['member'], archetype: 'pylon-user' });
    expect((await call('POST', '/bootstrap', { token: boss.token })).status).toBe(200);
    expect(await standing(boss)).toEqual({ isAdmin: true, roles: ['owner'], archetype: 'pylon-admin' });
    expect(await actions()).toContain(
      `org.role_changed boss@example.com {"from":"member","to":"owner","via":"bootstrap"}`,
    );
  });

  it('a pylon-admin grant makes /me an admin only for a verified address; an active org keeps its own role', async () => {
    await start({ PYLON_ADMIN_TOKEN: ADMIN });
    const granted = await signIn('granted@example.com');
    const unproven = await register('unproven@example.com');
    for (const person of [granted, unproven]) {
      const grant = await call('POST', '/roles', {
        token: ADMIN,
        body: { email: person.email, app_id: 'pylon', archetype: 'pylon-admin' },
      });
      expect(grant.status).toBe(200);
    }
    expect(await standing(granted)).toEqual({ isAdmin: true, roles: [], archetype: 'pylon-admin' });
    // whoami reports the grant (RBAC names addresses); /me withholds admin until the address is proven.
    expect((await standing(unproven)).isAdmin).toBe(false);

    const org = await call('POST', '/api/auth/orgs', {
      token: granted.token,
      body: { name: 'Side', id: 'side' },
    });
    expect(org.status).toBe(201);
    await call('POST', '/api/auth/select-org', { token: granted.token, body: { orgId: 'side' } });
    const me = (await call('GET', '/api/auth/me', { token: granted.token })).body;
    expect(me).toMatchObject({ isAdmin: true, roles: ['owner'], tenantId: 'side' });

    const admin = (await call('GET', '/api/auth/me', { token: ADMIN })).body;
    expect(admin).toMatchObject({ isAdmin: true, authMethod: 'admin_token' });
    expect((await call('GET', '/api/auth/me')).body).toMatchObject({ isAdmin: false, roles: [] });
  });

  it('development without the variable: the first verified sign-in claims once; others get bootstrap_consumed', async () => {
    await start({ PYLON_ADMIN_TOKEN: ADMIN });
    expect(t.config.env).toBe('development');
    expect(await firstAdminHint(t.server.services)).toBe(
      `No admin yet: sign in and claim admin at ${t.config.publicURL}/bootstrap (development mode: the first verified sign-in may claim it; or run \`pylon bootstrap\`)`,
    );
    const unproven = await register('unproven@example.com');
    // An unproven address acts on nothing of the RBAC surface (features/rbac/caller.ts).
    expect(await call('POST', '/bootstrap', { token: unproven.token })).toMatchObject({
      status: 403,
      body: { error: 'email_not_verified' },
    });
    expect((await call('POST', '/bootstrap', { token: ADMIN })).status).toBe(403);

    const first = await signIn('first@example.com');
    const second = await signIn('second@example.com');
    expect(await call('POST', '/bootstrap', { token: first.token })).toEqual({
      status: 200,
      body: { email: 'first@example.com', archetype: 'pylon-admin' },
    });
    expect(await call('POST', '/bootstrap', { token: second.token })).toMatchObject({
      status: 409,
      body: { error: 'bootstrap_consumed' },
    });
    expect(await standing(first)).toEqual({ isAdmin: true, roles: ['owner'], archetype: 'pylon-admin' });
    expect(await standing(second)).toEqual({ isAdmin: false, roles: [], archetype: null });
    expect(await members()).toEqual(['first@example.com:owner']);
    expect(await firstAdminHint(t.server.services)).toBeNull();
  });

  it('development: once anyone administers the deployment, nobody may claim it', async () => {
    await start({ PYLON_ADMIN_TOKEN: ADMIN });
    const existing = await signIn('existing@example.com');
    await call('POST', '/roles', {
      token: ADMIN,
      body: { email: existing.email, app_id: 'pylon', archetype: 'pylon-admin' },
    });
    const late = await signIn('late@example.com');
    expect((await call('POST', '/bootstrap', { token: late.token })).body.error).toBe('bootstrap_consumed');
  });

  it('production without the variable refuses every claim and says how to name the first admin', async () => {
    await start(PRODUCTION);
    expect(await firstAdminHint(t.server.services)).toBe(
      'No admin yet: set PYLON_BOOTSTRAP_ADMIN_EMAIL to your address, restart, sign in as that address, then run `pylon bootstrap`',
    );
    const person = await signIn('first@example.com');
    expect(await call('POST', '/bootstrap', { token: person.token })).toMatchObject({
      status: 403,
      body: { error: 'not_bootstrap_email' },
    });
    expect(await standing(person)).toEqual({ isAdmin: false, roles: [], archetype: null });
    expect(await claimRecorded()).toBe(false);
  });

  it('production with the variable: the hint names the address and `pylon bootstrap`', async () => {
    await start({ ...PRODUCTION, PYLON_BOOTSTRAP_ADMIN_EMAIL: 'Ops@Example.com' });
    expect(await firstAdminHint(t.server.services)).toBe(
      'No admin yet: sign in as ops@example.com (pylon login --org-url https://auth.example.com), then run `pylon bootstrap` or open https://auth.example.com/bootstrap',
    );
    const ops = await signIn('ops@example.com');
    expect((await call('POST', '/bootstrap', { token: ops.token })).status).toBe(200);
    expect(await firstAdminHint(t.server.services)).toBeNull();
  });

  describe('the hosted /bootstrap page', () => {
    const page = async (path: string, cookie?: string) => {
      const response = await t.request(path, { headers: cookie ? { cookie } : {} });
      return { response, text: await response.text() };
    };

    it('signed out: explains and links to sign-in; signed in: a Claim admin form with a CSRF token', async () => {
      await start();
      const signedOut = await page('/bootstrap');
      expect(signedOut.response.status).toBe(200);
      expect(signedOut.response.headers.get('content-type')).toContain('text/html');
      expect(signedOut.response.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(signedOut.text).toContain('Sign in first');
      expect(signedOut.text).toContain('name="return_to" value="/bootstrap"');
      expect(signedOut.text).not.toContain('<script');

      const person = await signIn('first@example.com');
      const session = `pylon_session=${person.token}`;
      const claimable = await page('/bootstrap', session);
      expect(claimable.text).toContain('Claim admin');
      expect(claimable.text).toContain('first@example.com');
      const csrf = /name="csrf" value="([^"]+)"/.exec(claimable.text)?.[1];
      const csrfCookie = /pylon_bootstrap_csrf=([^;]+)/.exec(
        claimable.response.headers.get('set-cookie') ?? '',
      )?.[1];
      expect(csrf).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(csrfCookie).toBe(csrf);

      const post = (form: Record<string, string>, cookie: string) =>
        t.request('/bootstrap', {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'text/html',
            origin: ORIGIN,
            cookie,
          },
          body: new URLSearchParams(form).toString(),
        });
      const withoutToken = await post({}, `${session}; pylon_bootstrap_csrf=${csrfCookie}`);
      expect(withoutToken.status).toBe(403);
      const wrongToken = await post(
        { csrf: 'x'.repeat(32) },
        `${session}; pylon_bootstrap_csrf=${csrfCookie}`,
      );
      expect(wrongToken.status).toBe(403);
      const noCookie = await post({ csrf: csrf! }, session);
      expect(noCookie.status).toBe(403);
      expect(await claimRecorded()).toBe(false);

      const claimed = await post({ csrf: csrf! }, `${session}; pylon_bootstrap_csrf=${csrfCookie}`);
      expect(claimed.status).toBe(303);
      expect(claimed.headers.get('location')).toBe('/bootstrap');
      const after = await page('/bootstrap', session);
      expect(after.text).toContain('You are an admin');
      expect(after.text).not.toContain('Claim admin');

      const second = await signIn('second@example.com');
      const taken = await page('/bootstrap', `pylon_session=${second.token}`);
      expect(taken.text).toContain('already has an admin');
      expect(taken.text).not.toContain('first@example.com');
      expect(taken.text).not.toContain('name="csrf"');
    });

    it('explains instead of offering the button: unverified, production without the variable, wrong address, another org', async () => {
      await start(PRODUCTION);
      const person = await signIn('first@example.com');
      const production = await page('/bootstrap', `__Host-pylon_session=${person.token}`);
      expect(production.text).toContain('PYLON_BOOTSTRAP_ADMIN_EMAIL');
      expect(production.text).not.toContain('Claim admin');

      await start({ PYLON_BOOTSTRAP_ADMIN_EMAIL: 'boss@example.com' });
      const stranger = await signIn('stranger@example.com');
      const wrong = await page('/bootstrap', `pylon_session=${stranger.token}`);
      expect(wrong.text).toContain('not the address this deployment names');
      expect(wrong.text).not.toContain('boss@example.com');
      const boss = await register('boss@example.com');
      expect((await page('/bootstrap', `pylon_session=${boss.token}`)).text).toContain('not verified yet');
      const org = await call('POST', '/api/auth/orgs', {
        token: stranger.token,
        body: { name: 'Side', id: 'side' },
      });
      expect(org.status).toBe(201);
      const elsewhere = await page('/o/side/bootstrap', `pylon_session=${stranger.token}`);
      expect(elsewhere.text).toContain('default org');
      expect(elsewhere.text).toContain(`href="${t.config.publicURL}/bootstrap"`);
      expect(elsewhere.text).not.toContain('Claim admin');
    });
  });
});
