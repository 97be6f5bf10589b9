import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/audit/audit-log.js';
import { SSOStore } from '../../src/features/sso/sso-store.js';
import { CookieJar } from '../support/cookie-jar.js';
import { testDatabases } from '../support/databases.js';
import { startTestIdP, type TestIdP } from '../support/peers/oidc-idp.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type ForgingIdP, startForgingIdP } from './forging-idp.js';

const APP = 'http://app.example.test';
const PUBLIC = 'http://localhost:4000';
const ADMIN = 'admin-token-for-sso-tests-0123456789';
const callbackOf = (org: string) => `${PUBLIC}/api/auth/orgs/${org}/sso/callback`;
type Body = Record<string, unknown> & { error?: { code: string; message: string } };

describe.each(testDatabases)('per-org OIDC SSO on $kind', (database) => {
  let idp: TestIdP;
  let forging: ForgingIdP;
  let t: TestServer;
  let owner: string;
  let member: string;
  let rivalOwner: string;
  const logLines: string[] = [];

  const call = async (path: string, init: RequestInit = {}, jar?: CookieJar) => {
    const response = await t.request(`/api/auth${path}`, jar ? jar.apply(init) : init);
    jar?.store(response);
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {}) as Body,
    };
  };
  const as = (token: string, method = 'GET', body?: unknown): RequestInit => ({
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  /** A verified account by magic code (development mode shows the code). */
  const verifiedUser = async (email: string) => {
    const sent = await call('/magic/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    const verified = await call('/magic/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, code: sent.body.dev_code }),
    });
    return { token: verified.body.token as string, userId: verified.body.user_id as string };
  };
  const oidcConfig = (extra: Record<string, unknown> = {}) => ({
    issuer_url: idp.issuer,
    client_id: idp.clientId,
    client_secret: idp.clientSecret,
    email_domains: ['acme.test'],
    ...extra,
  });
  /** start → the browser lands on the IdP; returns the authorization URL. */
  const start = async (
    org: string,
    browser: CookieJar,
    query = `callback=${APP}/done&error_callback=${APP}/failed`,
  ) => {
    const started = await call(`/orgs/${org}/sso/start?${query}`, {}, browser);
    expect(started.status, JSON.stringify(started.body)).toBe(302);
    return new URL(started.headers.get('location')!);
  };
  const finish = (org: string, callback: URL, browser: CookieJar) =>
    call(`/orgs/${org}/sso/callback${callback.search}`, {}, browser);
  const errorOf = (location: string | null) => {
    const url = new URL(location!);
    return { target: `${url.origin}${url.pathname}`, code: url.searchParams.get('sso_error') };
  };

  beforeAll(async () => {
    idp = await startTestIdP(callbackOf('acme'));
    forging = await startForgingIdP();
    t = await startTestServer(database, {
      env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_TRUSTED_ORIGINS: APP, PYLON_PUBLIC_URL: PUBLIC },
      logger: pino({ level: 'warn' }, { write: (line: string) => logLines.push(line) }),
    });
    // The IdPs sign with real time; Pylon's clock must agree for the state's lifetime.
    t.clock.set(Date.now());
    owner = (await verifiedUser('owner@acme.test')).token;
    member = (await verifiedUser('member@acme.test')).token;
    rivalOwner = (await verifiedUser('owner@rival.test')).token;
    for (const [token, id] of [
      [owner, 'acme'],
      [owner, 'beta'],
      [owner, 'forge'],
      [rivalOwner, 'rival'],
    ] as const) {
      expect((await call('/orgs', as(token, 'POST', { name: id, id }))).status).toBe(201);
    }
    idp.accounts.set('alice', { email: 'alice@acme.test', email_verified: true });
  });
  afterAll(async () => {
    await t.close();
    await idp.close();
    await forging.close();
  });

  describe('configuration', () => {
    it('refuses missing fields, an owner default role, freemail domains and plain-http IdPs', async () => {
      const put = (body: unknown) => call('/orgs/acme/sso', as(owner, 'PUT', body));
      expect((await put({ client_id: 'x', client_secret: 'y' })).body.error?.code).toBe('MISSING_FIELDS');
      expect((await put(oidcConfig({ client_secret: '' }))).body.error?.code).toBe('MISSING_FIELDS');
      const role = await put(oidcConfig({ default_role: 'owner' }));
      expect([role.status, role.body.error?.code]).toEqual([400, 'BAD_DEFAULT_ROLE']);
      for (const domain of ['gmail.com', 'GMAIL.COM', 'proton.me', 'duck.com', 'yahoo.co.jp']) {
        const blocked = await put(oidcConfig({ email_domains: ['acme.test', domain] }));
        expect([blocked.status, blocked.body.error?.code], domain).toEqual([400, 'DOMAIN_BLOCKLISTED']);
      }
      const insecure = await put(oidcConfig({ issuer_url: 'http://idp.example.com' }));
      expect([insecure.status, insecure.body.error?.code]).toEqual([400, 'INSECURE_SSO_URL']);
      // Nothing of the refused attempts was stored.
      expect((await call('/orgs/acme/sso', as(owner))).body.error?.code).toBe('SSO_NOT_CONFIGURED');
    });

    it('answers DISCOVERY_FAILED for an issuer without a discovery document, or whose document names another issuer', async () => {
      const missing = await call(
        '/orgs/acme/sso',
        as(owner, 'PUT', oidcConfig({ issuer_url: `${idp.issuer}/nothing-here` })),
      );
      expect([missing.status, missing.body.error?.code]).toEqual([400, 'DISCOVERY_FAILED']);
      // The IdP's document names itself without the path: not this issuer (Discovery §4.3).
      const other = await call(
        '/orgs/acme/sso',
        as(owner, 'PUT', oidcConfig({ issuer_url: `${forging.issuer}/tenant` })),
      );
      expect(other.body.error?.code).toBe('DISCOVERY_FAILED');
    });

    describe('the discovery document of a loopback IdP', () => {
      const putForge = () =>
        call(
          '/orgs/forge/sso',
          as(owner, 'PUT', {
            issuer_url: forging.issuer,
            client_id: forging.clientId,
            client_secret: forging.clientSecret,
            email_domains: [],
          }),
        );
      const stored = () =>
        t.storage.db
          .selectFrom('sso_connections')
          .select('discovery_json')
          .where('org_id', '=', 'forge')
          .executeTakeFirst();
      afterEach(async () => {
        forging.discoveryExtra = {};
        forging.endlessDiscovery = false;
        await t.storage.db.deleteFrom('sso_connections').where('org_id', '=', 'forge').execute();
      });

      it('is refused over 64 KiB, read with a cap: an endless one, and one declaring its size', async () => {
        forging.endlessDiscovery = true;
        const endless = await putForge();
        expect([endless.status, endless.body.error?.code]).toEqual([400, 'DISCOVERY_FAILED']);
        expect(endless.body.error?.message).toContain('larger than 64 KiB');
        forging.endlessDiscovery = false;
        forging.discoveryExtra = { padding: 'x'.repeat(1024 * 1024) };
        const padded = await putForge();
        expect([padded.status, padded.body.error?.code]).toEqual([400, 'DISCOVERY_FAILED']);
        expect(padded.body.error?.message).toContain('larger than 64 KiB');
        expect(await stored()).toBeUndefined();
      });

      it('is stored with only the fields Pylon uses', async () => {
        forging.discoveryExtra = {
          padding: 'x'.repeat(32 * 1024),
          userinfo_endpoint: `${forging.issuer}/userinfo`,
          scopes_supported: ['openid'],
          id_token_signing_alg_values_supported: ['RS256', 7, 'ES256'],
        };
        const saved = await putForge();
        expect(saved.status, JSON.stringify(saved.body)).toBe(200);
        expect(JSON.parse((await stored())!.discovery_json!)).toEqual({
          issuer: forging.issuer,
          authorization_endpoint: `${forging.issuer}/auth`,
          token_endpoint: `${forging.issuer}/token`,
          jwks_uri: `${forging.issuer}/jwks`,
          userinfo_endpoint: `${forging.issuer}/userinfo`,
          id_token_signing_alg_values_supported: ['RS256', 'ES256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic'],
        });
      });

      it.each([
        ['token_endpoint', 'http://169.254.169.254/latest/meta-data/'],
        ['jwks_uri', 'http://10.0.0.1/jwks'],
        ['authorization_endpoint', 'http://idp.example.com/auth'],
        ['userinfo_endpoint', 'http://10.0.0.1/userinfo'],
      ])('refuses a plain-http %s on a host that is not loopback (%s)', async (name, url) => {
        forging.discoveryExtra = { [name]: url };
        const refused = await putForge();
        expect([refused.status, refused.body.error?.code]).toEqual([400, 'INSECURE_SSO_URL']);
        expect(refused.body.error?.message).toContain(name);
        expect(await stored()).toBeUndefined();
      });
    });

    it('only owners configure; members read a view without the secret; the secret is sealed at rest', async () => {
      const memberPut = await call('/orgs/acme/sso', as(member, 'PUT', oidcConfig()));
      expect(memberPut.status).toBe(404); // not a member of acme: no such org for them
      const saved = await call(
        '/orgs/acme/sso',
        as(owner, 'PUT', oidcConfig({ email_domains: ['Acme.TEST'] })),
      );
      expect(saved.status, JSON.stringify(saved.body)).toBe(200);
      expect(saved.body).toMatchObject({
        org_id: 'acme',
        kind: 'oidc',
        issuer_url: idp.issuer,
        client_id: idp.clientId,
        client_secret_set: true,
        default_role: 'member',
        email_domains: ['acme.test'],
        redirect_uri: callbackOf('acme'),
        authorization_endpoint: `${idp.issuer}/auth`,
      });
      expect(JSON.stringify(saved.body)).not.toContain(idp.clientSecret);

      const row = await t.storage.db
        .selectFrom('sso_connections')
        .select(['client_secret_sealed', 'discovery_json'])
        .where('org_id', '=', 'acme')
        .executeTakeFirstOrThrow();
      expect(row.client_secret_sealed).toMatch(/^v1\./);
      expect(row.client_secret_sealed).not.toContain(idp.clientSecret);
      expect(JSON.parse(row.discovery_json!).token_endpoint).toBe(`${idp.issuer}/token`);

      // A plain member of the org reads the redacted view but cannot change or remove it.
      const caller = await verifiedUser('reader@acme.test');
      await t.storage.db
        .insertInto('org_members')
        .values({ org_id: 'acme', user_id: caller.userId, role: 'member', joined_at: t.clock.now() })
        .execute();
      const read = await call('/orgs/acme/sso', as(caller.token));
      expect(read.status).toBe(200);
      expect(JSON.stringify(read.body)).not.toContain(idp.clientSecret);
      expect((await call('/orgs/acme/sso', as(caller.token, 'PUT', oidcConfig()))).body.error?.code).toBe(
        'FORBIDDEN',
      );
      expect((await call('/orgs/acme/sso', as(caller.token, 'DELETE'))).body.error?.code).toBe('FORBIDDEN');

      const entries = await t.storage.db
        .selectFrom('audit_events')
        .select(['org', 'action'])
        .where('action', '=', 'sso.configured')
        .execute();
      expect(entries).toContainEqual({ org: 'acme', action: 'sso.configured' });
    });

    it('one org per domain: a second org is refused, also when both claim at once', async () => {
      const taken = await call('/orgs/rival/sso', as(rivalOwner, 'PUT', oidcConfig()));
      expect([taken.status, taken.body.error?.code]).toEqual([409, 'DOMAIN_ALREADY_CLAIMED']);

      const both = await Promise.all([
        call('/orgs/beta/sso', as(owner, 'PUT', oidcConfig({ email_domains: ['race.test'] }))),
        call('/orgs/rival/sso', as(rivalOwner, 'PUT', oidcConfig({ email_domains: ['race.test'] }))),
      ]);
      expect(both.map((answer) => answer.status).sort()).toEqual([200, 409]);
      const claims = await t.storage.db
        .selectFrom('sso_domains')
        .selectAll()
        .where('domain', '=', 'race.test')
        .execute();
      expect(claims).toHaveLength(1);
      const winner = both[0]!.status === 200 ? 'beta' : 'rival';
      expect(claims[0]!.org_id).toBe(winner);
      // Removing the winner's connection frees the domain.
      const winnerToken = winner === 'beta' ? owner : rivalOwner;
      const removed = await call(`/orgs/${winner}/sso`, as(winnerToken, 'DELETE'));
      expect(removed.body).toEqual({ org_id: winner, kind: 'oidc', removed: true });
      expect(
        await t.storage.db.selectFrom('sso_domains').selectAll().where('domain', '=', 'race.test').execute(),
      ).toEqual([]);
      expect((await call(`/orgs/${winner}/sso`, as(winnerToken, 'DELETE'))).body.error?.code).toBe(
        'SSO_NOT_CONFIGURED',
      );
    });
  });

  describe('sign-in', () => {
    it('start → IdP login → consent → callback → session; /me shows the membership', async () => {
      const browser = new CookieJar();
      const authorization = await start('acme', browser);
      expect(authorization.origin).toBe(idp.issuer);
      expect(Object.fromEntries(authorization.searchParams)).toMatchObject({
        response_type: 'code',
        client_id: idp.clientId,
        redirect_uri: callbackOf('acme'),
        scope: 'openid email profile',
        code_challenge_method: 'S256',
        code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        nonce: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
      expect(browser.get('pylon_sso_flow')).toBeDefined();

      const callback = await idp.authorize(authorization.toString(), 'alice', callbackOf('acme'));
      const done = await finish('acme', callback, browser);
      expect(done.status).toBe(302);
      expect(done.headers.get('location')).toBe(`${APP}/done`);
      const session = browser.get('pylon_session');
      expect(session).toMatch(/^pylon_[0-9a-f]{64}$/);

      const orgs = await call('/orgs', as(session!));
      expect(orgs.body).toContainEqual(expect.objectContaining({ id: 'acme', role: 'member' }));
      // The session starts in the org it signed in through: no /select-org needed.
      const me = await call('/me', as(session!));
      expect(me.body).toMatchObject({ email: 'alice@acme.test', tenantId: 'acme' });
      expect(me.body.roles).toContain('member');

      // The sign-in is the org's event: in its audit, read as its owner would.
      const audit = await t.request('/o/acme/audit?action=auth.sign_in', {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      const signIns = (
        (await audit.json()) as { entries: Array<{ actor_id: string; detail: { method: string } }> }
      ).entries;
      expect(signIns.filter((e) => e.actor_id === me.body.userId).map((e) => e.detail.method)).toEqual([
        'org_sso',
      ]);

      // The same state again, flow cookie and all: consumed.
      const replay = await finish('acme', callback, browser);
      expect([replay.status, replay.body.error?.code]).toEqual([403, 'INVALID_SSO_STATE']);

      // A second sign-in finds the same account by (issuer, sub).
      const again = new CookieJar();
      const second = await finish(
        'acme',
        await idp.authorize((await start('acme', again)).toString(), 'alice', callbackOf('acme')),
        again,
      );
      expect(second.status).toBe(302);
      const meAgain = await call('/me', as(again.get('pylon_session')!));
      expect(meAgain.body.userId).toBe(me.body.userId);
    });

    it('refuses a callback opened without the flow cookie, and another org’s state', async () => {
      const browser = new CookieJar();
      const callback = await idp.authorize(
        (await start('acme', browser)).toString(),
        'alice',
        callbackOf('acme'),
      );
      const elsewhere = await finish('acme', callback, new CookieJar());
      expect([elsewhere.status, elsewhere.body.error?.code]).toEqual([403, 'INVALID_SSO_STATE']);
      // Opened by a person's browser, the same refusal is a page naming the code.
      const page = await t.request(`/api/auth/orgs/acme/sso/callback${callback.search}`, {
        headers: { accept: 'text/html' },
      });
      expect([page.status, page.headers.get('content-type')]).toEqual([403, 'text/html; charset=UTF-8']);
      expect((await page.text()).replace(/<[^>]*>/g, '')).toContain('Error code: INVALID_SSO_STATE');

      // beta's state, with beta's flow cookie, brought to acme's callback.
      await call('/orgs/beta/sso', as(owner, 'PUT', oidcConfig({ email_domains: [] })));
      const betaBrowser = new CookieJar();
      const betaStart = await start('beta', betaBrowser);
      const crossed = await call(
        `/orgs/acme/sso/callback?code=any&state=${betaStart.searchParams.get('state')}`,
        {},
        betaBrowser,
      );
      expect([crossed.status, crossed.body.error?.code]).toEqual([403, 'INVALID_SSO_STATE']);
      // The browser that started still finishes its own sign-in (the refusals consumed nothing).
      expect((await finish('acme', callback, browser)).status).toBe(302);
    });

    it('refuses untrusted callbacks before the IdP sees them', async () => {
      for (const query of [
        'callback=https://evil.example/cb',
        `callback=${APP}/done&error_callback=https://evil.example/err`,
        'callback=javascript:alert(1)',
      ]) {
        const refused = await call(`/orgs/acme/sso/start?${query}`);
        expect([refused.status, refused.body.error?.code], query).toEqual([403, 'UNTRUSTED_REDIRECT']);
      }
      expect((await call('/orgs/acme/sso/start')).body.error?.code).toBe('MISSING_FIELDS');
      expect((await call(`/orgs/nope/sso/start?callback=${APP}/done`)).body.error?.code).toBe(
        'SSO_NOT_CONFIGURED',
      );
      // Loopback is trusted in development mode.
      expect((await call('/orgs/acme/sso/start?callback=http://127.0.0.1:5173/done')).status).toBe(302);
    });

    it('an unverified email at the IdP never reaches the existing account with that address', async () => {
      const registered = await call('/password/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'bob@acme.test', password: 'correct horse battery' }),
      });
      expect(registered.status).toBe(200);
      idp.accounts.set('bob-unverified', { email: 'bob@acme.test', email_verified: false });
      const browser = new CookieJar();
      const done = await finish(
        'acme',
        await idp.authorize((await start('acme', browser)).toString(), 'bob-unverified', callbackOf('acme')),
        browser,
      );
      expect(done.status).toBe(302);
      const me = await call('/me', as(browser.get('pylon_session')!));
      expect(me.body.userId).not.toBe(registered.body.user_id);
      expect(me.body.email).toBeNull();
      // Bob's own way in is untouched.
      const login = await call('/password/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'bob@acme.test', password: 'correct horse battery' }),
      });
      expect(login.status).toBe(200);
      expect(login.body.user_id).toBe(registered.body.user_id);
    });

    it('a member without an email (unverified at the IdP) is named by their display name in the members API and the console', async () => {
      idp.accounts.set('dana-unverified', {
        email: 'dana@acme.test',
        email_verified: false,
        name: 'Dana <Ops>',
      });
      const browser = new CookieJar();
      await finish(
        'acme',
        await idp.authorize((await start('acme', browser)).toString(), 'dana-unverified', callbackOf('acme')),
        browser,
      );
      const me = await call('/me', as(browser.get('pylon_session')!));
      expect(me.body.email).toBeNull();
      const userId = me.body.userId as string;
      const members = (await call('/orgs/acme/members', as(owner))).body as unknown as Array<Body>;
      expect(members.find((m) => m.user_id === userId)).toMatchObject({
        email: null,
        display_name: 'Dana <Ops>',
      });
      // Members with an email carry their display name too (null when they gave none).
      expect(members.find((m) => m.email === 'owner@acme.test')).toMatchObject({ display_name: null });
      const page = async (path: string) =>
        (await t.request(path, { headers: { cookie: `pylon_session=${owner}` } })).text();
      // The cell, whichever column label (data-label) it carries on the page.
      const named = `">Dana &lt;Ops&gt; <small class="muted"><code>${userId}</code></small></td>`;
      const membersPage = await page('/console/orgs/acme');
      expect(membersPage).toContain(named);
      expect(membersPage).toContain(`Role of Dana &lt;Ops&gt; (${userId})</label>`);
      // The audit page's actor column: joining through SSO is written with the person's id only.
      expect(await page('/console/orgs/acme/audit?action=org.member_added')).toContain(named);
      // And its live tail, whose script shows `actor_name (actor)`.
      const stream = await t.request(
        `/console/orgs/acme/audit/stream?action=org.member_added&after=${encodeCursor({ ts: 0, id: 0 })}`,
        { headers: { cookie: `pylon_session=${owner}` } },
      );
      const reader = stream.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      let entry: Body | undefined;
      try {
        while (!entry) {
          const { value, done } = await reader.read();
          if (done) throw new Error('the stream ended before the SSO join');
          text += decoder.decode(value, { stream: true });
          entry = text
            .split('\n\n')
            .map((event) => /^data: (.*)$/m.exec(event)?.[1])
            .map((data) => (data ? (JSON.parse(data) as Body) : undefined))
            .find((data) => data?.actor === userId);
        }
      } finally {
        await reader.cancel();
      }
      expect(entry).toMatchObject({ actor: userId, actor_id: userId, actor_name: 'Dana <Ops>' });
    });

    it('a member without an email whose display name looks like an address is shown with their user id, in the role label too', async () => {
      idp.accounts.set('shaped', {
        email: 'x@acme.test',
        email_verified: false,
        name: 'victim@corp.example',
      });
      const browser = new CookieJar();
      await finish(
        'acme',
        await idp.authorize((await start('acme', browser)).toString(), 'shaped', callbackOf('acme')),
        browser,
      );
      const userId = (await call('/me', as(browser.get('pylon_session')!))).body.userId as string;
      const page = await (
        await t.request('/console/orgs/acme', { headers: { cookie: `pylon_session=${owner}` } })
      ).text();
      expect(page).toContain(
        `<td data-label="Person">victim@corp.example <small class="muted"><code>${userId}</code></small></td>`,
      );
      expect(page).toContain(`Role of victim@corp.example (${userId})</label>`);
      expect(page).not.toContain('Role of victim@corp.example</label>');
    });

    it('a verified email links to the unproven account as its first proof: the earlier password is dropped', async () => {
      const squatter = await call('/password/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'carol@acme.test', password: 'squatter password 1' }),
      });
      idp.accounts.set('carol', { email: 'carol@acme.test', email_verified: true });
      const browser = new CookieJar();
      await finish(
        'acme',
        await idp.authorize((await start('acme', browser)).toString(), 'carol', callbackOf('acme')),
        browser,
      );
      const me = await call('/me', as(browser.get('pylon_session')!));
      expect(me.body).toMatchObject({
        userId: squatter.body.user_id,
        email: 'carol@acme.test',
        emailVerified: true,
      });
      expect((await call('/me', as(squatter.body.token as string))).body.userId).toBeNull();
      const login = await call('/password/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'carol@acme.test', password: 'squatter password 1' }),
      });
      expect(login.body.error?.code).toBe('INVALID_CREDENTIALS');
    });

    it('an email outside the org’s claimed domains is not taken, however verified', async () => {
      idp.accounts.set('mallory', { email: 'owner@rival.test', email_verified: true });
      const browser = new CookieJar();
      await finish(
        'acme',
        await idp.authorize((await start('acme', browser)).toString(), 'mallory', callbackOf('acme')),
        browser,
      );
      const me = await call('/me', as(browser.get('pylon_session')!));
      expect(me.body.email).toBeNull();
      expect((await call('/me', as(rivalOwner))).body.email).toBe('owner@rival.test');
    });

    it('never changes an existing member’s role', async () => {
      idp.accounts.set('the-owner', { email: 'owner@acme.test', email_verified: true });
      const browser = new CookieJar();
      await finish(
        'acme',
        await idp.authorize((await start('acme', browser)).toString(), 'the-owner', callbackOf('acme')),
        browser,
      );
      const orgs = await call('/orgs', as(browser.get('pylon_session')!));
      expect(orgs.body).toContainEqual(expect.objectContaining({ id: 'acme', role: 'owner' }));
    });

    it('an IdP error goes to the error_callback with sso_error', async () => {
      const browser = new CookieJar();
      const authorization = await start('acme', browser);
      const denied = await finish(
        'acme',
        new URL(`${callbackOf('acme')}?error=access_denied&state=${authorization.searchParams.get('state')}`),
        browser,
      );
      expect(denied.status).toBe(302);
      expect(errorOf(denied.headers.get('location'))).toEqual({
        target: `${APP}/failed`,
        code: 'SSO_SIGN_IN_FAILED',
      });
    });
  });

  describe('id_token checks', () => {
    beforeAll(async () => {
      const saved = await call(
        '/orgs/forge/sso',
        as(owner, 'PUT', {
          issuer_url: forging.issuer,
          client_id: forging.clientId,
          client_secret: forging.clientSecret,
          email_domains: ['forge.test'],
        }),
      );
      expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    });

    /** start at the forging IdP, let it answer `idToken`, come back with a code. */
    const signInWith = async (
      sign: (claims: Record<string, unknown>) => Promise<string> | string,
      claims: Record<string, unknown> = {},
    ) => {
      const browser = new CookieJar();
      const authorization = await start('forge', browser);
      const state = authorization.searchParams.get('state')!;
      const nonce = authorization.searchParams.get('nonce')!;
      forging.nextIdToken = await sign(
        forging.claims({ sub: 'dana', nonce, email: 'dana@forge.test', email_verified: true, ...claims }),
      );
      const answer = await call(`/orgs/forge/sso/callback?code=some-code&state=${state}`, {}, browser);
      return { answer, browser };
    };

    it('accepts a well-formed id_token signed by the published key (the control)', async () => {
      const { answer, browser } = await signInWith((claims) => forging.signWithPublishedKey(claims));
      expect(answer.headers.get('location')).toBe(`${APP}/done`);
      expect((await call('/me', as(browser.get('pylon_session')!))).body.email).toBe('dana@forge.test');
    });

    it.each([
      ['a forged signature', (claims: Record<string, unknown>) => forging.signWithOtherKey(claims), {}],
      ['alg none', (claims: Record<string, unknown>) => forging.unsigned(claims), {}],
      [
        'HS256 keyed with the client secret',
        (claims: Record<string, unknown>) => forging.signHS256WithClientSecret(claims),
        {},
      ],
      [
        'another nonce',
        (claims: Record<string, unknown>) => forging.signWithPublishedKey(claims),
        { nonce: 'not-the-nonce' },
      ],
      [
        'another audience',
        (claims: Record<string, unknown>) => forging.signWithPublishedKey(claims),
        { aud: 'someone-else' },
      ],
      [
        'another issuer',
        (claims: Record<string, unknown>) => forging.signWithPublishedKey(claims),
        { iss: 'https://evil.example' },
      ],
      [
        'an expired token',
        (claims: Record<string, unknown>) => forging.signWithPublishedKey(claims),
        { exp: Math.floor(Date.now() / 1000) - 3600 },
      ],
      [
        'an empty sub (Core §2: required, never empty)',
        (claims: Record<string, unknown>) => forging.signWithPublishedKey(claims),
        { sub: '' },
      ],
    ] as const)('refuses %s', async (_name, sign, claims) => {
      const { answer, browser } = await signInWith(sign, claims);
      expect(answer.status).toBe(302);
      expect(errorOf(answer.headers.get('location'))).toEqual({
        target: `${APP}/failed`,
        code: 'SSO_SIGN_IN_FAILED',
      });
      expect(browser.get('pylon_session')).toBeUndefined();
    });

    it('logs why an empty sub was refused, and keeps no identity keyed by it', async () => {
      const before = logLines.length;
      const { answer } = await signInWith((claims) => forging.signWithPublishedKey(claims), { sub: '' });
      expect(errorOf(answer.headers.get('location')).code).toBe('SSO_SIGN_IN_FAILED');
      expect(logLines.slice(before).join('\n')).toContain('id_token has no sub');
      const keyed = await t.storage.db
        .selectFrom('identities')
        .selectAll()
        .where('provider', 'like', 'sso:forge:%')
        .where('subject', '=', '')
        .execute();
      expect(keyed).toEqual([]);
    });
  });

  describe('hosted login page', () => {
    const postCode = (fields: Record<string, string>) =>
      t.request('/login/code', {
        method: 'POST',
        headers: { origin: PUBLIC, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });

    it('offers the org’s IdP for an email of a claimed domain, and the emailed code still', async () => {
      const sentBefore = t.mail.length;
      const offered = await postCode({ email: 'nobody-yet@acme.test', return_to: '/app' });
      expect(offered.status).toBe(200);
      const page = await offered.text();
      expect(page).toContain('Continue with SSO');
      const href = /href="([^"]*sso\/start[^"]*)"/.exec(page)![1]!.replaceAll('&amp;', '&');
      const start = new URL(href, PUBLIC);
      expect(start.pathname).toBe('/api/auth/orgs/acme/sso/start');
      // Back through /login/continue (the TOTP step when one is due); a failure keeps return_to.
      expect(start.searchParams.get('callback')).toBe(`${PUBLIC}/login/continue?return_to=%2Fapp`);
      expect(start.searchParams.get('error_callback')).toBe(`${PUBLIC}/login?return_to=%2Fapp`);
      expect(t.mail.length).toBe(sentBefore);
      // The link works: it starts the sign-in at acme's IdP.
      const started = await t.request(`${start.pathname}${start.search}`);
      expect(started.status).toBe(302);
      expect(started.headers.get('location')).toMatch(new RegExp(`^${idp.issuer}/`));

      // Choosing the code instead, and an unclaimed domain, send the code as before.
      const skipped = await postCode({ email: 'nobody-yet@acme.test', skip_sso: '1' });
      expect(await skipped.text()).toContain('Check your email');
      const plain = await postCode({ email: 'someone@unclaimed.test' });
      const plainPage = await plain.text();
      expect(plainPage).toContain('Check your email');
      expect(plainPage).not.toContain('Continue with SSO');
    });
  });

  describe('discovery', () => {
    it('routes an address by its domain only; OIDC wins over SAML in one org', async () => {
      const found = await call('/sso/discover?email=Someone@ACME.test');
      expect(found.body).toEqual({
        org_id: 'acme',
        kind: 'oidc',
        start_url: '/api/auth/orgs/acme/sso/start',
      });
      // The same answer whether or not the person has an account.
      expect((await call('/sso/discover?email=alice@acme.test')).body).toEqual(found.body);
      const none = await call('/sso/discover?email=x@unclaimed.test');
      expect([none.status, none.body.error?.code]).toEqual([404, 'NO_SSO_FOR_DOMAIN']);
      expect((await call('/sso/discover')).body.error?.code).toBe('MISSING_EMAIL');

      // SAML connections through the store engineer B's routes call: acme lists acme.test for
      // both (OIDC wins) and saml-only.test for SAML alone.
      const { random, sealer, config } = t.server.services;
      const store = new SSOStore(t.storage.db, random, sealer, config.ssoAllowedDomains);
      await store.putSAML(
        {
          orgId: 'acme',
          idpEntityId: 'https://idp.acme.test/saml',
          idpSSOURL: 'https://idp.acme.test/sso',
          idpCertPEM: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
          defaultRole: 'member',
          emailDomains: ['acme.test', 'saml-only.test'],
          emailAttribute: null,
          nameAttribute: null,
        },
        t.clock.now(),
      );
      expect((await call('/sso/discover?email=a@acme.test')).body.kind).toBe('oidc');
      expect((await call('/sso/discover?email=a@saml-only.test')).body).toEqual({
        org_id: 'acme',
        kind: 'saml',
        start_url: '/api/auth/orgs/acme/saml/start',
      });
      expect((await store.getSAML('acme'))?.emailDomains).toEqual(['acme.test', 'saml-only.test']);
      // Removing SAML keeps the domain OIDC still lists and frees the SAML-only one.
      expect(await store.remove('acme', 'saml')).toBe(true);
      expect((await call('/sso/discover?email=a@acme.test')).body.kind).toBe('oidc');
      expect((await call('/sso/discover?email=a@saml-only.test')).status).toBe(404);
    });
  });
});

describe.each(testDatabases)('PYLON_SSO_ALLOWED_DOMAINS and the start throttle on $kind', (database) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(database, {
      env: {
        PYLON_ADMIN_TOKEN: ADMIN,
        PYLON_SSO_ALLOWED_DOMAINS: 'Allowed.test',
        PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '2',
      },
    });
  });
  afterAll(() => t.close());

  it('refuses a domain outside the operator’s list before anything is fetched', async () => {
    const put = (domains: string[]) =>
      t.request('/api/auth/orgs/default/sso', {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          issuer_url: 'https://idp.invalid',
          client_id: 'c',
          client_secret: 's',
          email_domains: domains,
        }),
      });
    const refused = await put(['allowed.test', 'other.test']);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as Body).error?.code).toBe('DOMAIN_NOT_ALLOWED');
    // An allowed domain passes the domain rules and reaches discovery (which fails: nothing there).
    const allowed = await put(['allowed.test']);
    expect(((await allowed.json()) as Body).error?.code).toBe('DISCOVERY_FAILED');
  });

  it.each(['sso', 'saml'])(
    'throttles %s sign-in starts per address, as every sign-in endpoint',
    async (kind) => {
      const start = () =>
        t.request(`/api/auth/orgs/default/${kind}/start?callback=http://localhost:4000/done`, {
          headers: { 'x-test-kind': kind },
        });
      expect((await start()).status).toBe(404);
      expect((await start()).status).toBe(404);
      const limited = await start();
      expect(limited.status).toBe(429);
      expect(((await limited.json()) as Body).error?.code).toBe('RATE_LIMITED');
      t.clock.advance(120_000);
    },
  );
});
