import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ORIGIN = 'http://localhost:4000';
type Body = Record<string, unknown> & { error?: string | { code: string } };

describe.each(testDatabases)('device login on $kind', (database) => {
  let t: TestServer;
  let n = 0;
  const json = async (
    method: string,
    path: string,
    options: {
      token?: string;
      body?: unknown;
      form?: Record<string, string>;
      headers?: Record<string, string>;
    } = {},
  ) => {
    const response = await t.request(path, {
      method,
      headers: {
        ...(options.form
          ? { 'content-type': 'application/x-www-form-urlencoded' }
          : { 'content-type': 'application/json' }),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      ...(options.form
        ? { body: new URLSearchParams(options.form).toString() }
        : options.body === undefined
          ? {}
          : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    let body: Body = {};
    try {
      body = JSON.parse(text) as Body;
    } catch {
      body = { html: text };
    }
    return { status: response.status, headers: response.headers, body };
  };
  const person = async () => {
    const email = `device${++n}-${database.kind}@example.com`;
    t.clock.advance(61_000);
    const sent = await json('POST', '/api/auth/magic/send', { body: { email } });
    const verified = await json('POST', '/api/auth/magic/verify', {
      body: { email, code: sent.body.dev_code },
    });
    return { email, token: verified.body.token as string, userId: verified.body.user_id as string };
  };
  const start = async (client = 'pylon-cli/0.1.0') =>
    (await json('POST', '/device/init', { body: { client, org_id: 'default' } })).body;
  const poll = (deviceCode: string) =>
    json('GET', `/device/poll?device_code=${encodeURIComponent(deviceCode)}`);

  beforeAll(async () => {
    t = await startTestServer(database);
  });
  afterAll(() => t.close());

  it('init gives a ≥128-bit device code and an XXXX-XXXX user code from the consonant alphabet', async () => {
    const started = await start();
    expect(started).toMatchObject({
      device_code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      user_code: expect.stringMatching(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/),
      verification_url: 'http://localhost:4000/o/default/device',
      expires_in: 600,
      interval: 5,
    });
    expect(started.verification_url_complete).toBe(
      `http://localhost:4000/o/default/device?user_code=${started.user_code}`,
    );
    // Only the raw rows show what is at rest.
    const stored = JSON.stringify(
      await t.storage.db.selectFrom('device_authorizations').selectAll().execute(),
    );
    expect(stored).not.toContain(started.device_code as string);
    // org_mismatch answers 401 here as on every RBAC route (one status per code).
    const mismatch = await json('POST', '/device/init', { body: { client: 'x', org_id: 'other' } });
    expect([mismatch.status, mismatch.body.error]).toEqual([401, 'org_mismatch']);
  });

  it('approve by bearer: pending → authorised once with a 24 h cli session bound to the org', async () => {
    const alice = await person();
    const started = await start();
    expect((await poll(started.device_code as string)).body).toEqual({ status: 'pending' });
    const lowerNoDash = (started.user_code as string).replace('-', '').toLowerCase();
    const approved = await json('POST', '/device/complete', {
      token: alice.token,
      body: { user_code: lowerNoDash, approve: true },
    });
    expect(approved.body).toEqual({ status: 'approved', client: 'pylon-cli/0.1.0' });
    t.clock.advance(5_000);
    const done = await poll(started.device_code as string);
    expect(done.body).toMatchObject({ status: 'authorised', session_jwt: expect.stringMatching(/^pylon_/) });
    expect(done.body.session_expires_at).toBe(t.clock.now() + 24 * 3600 * 1000);
    const whoami = await json('GET', '/whoami', { token: done.body.session_jwt as string });
    expect(whoami.body).toMatchObject({ email: alice.email, org_id: 'default' });
    const sessions = await json('GET', '/api/auth/sessions', { token: done.body.session_jwt as string });
    expect(
      (sessions.body as unknown as Array<{ kind: string; current: boolean }>).find((s) => s.current)?.kind,
    ).toBe('cli');
    t.clock.advance(5_000);
    expect((await poll(started.device_code as string)).body).toEqual({ status: 'expired' });
  });

  it('polling faster than the interval is slow_down, and each one adds 5 s', async () => {
    const started = await start();
    await poll(started.device_code as string);
    const fast = await poll(started.device_code as string);
    expect(fast.status).toBe(429);
    expect(fast.body.error).toBe('slow_down');
    expect(fast.headers.get('retry-after')).toBe('10');
    t.clock.advance(5_000);
    expect((await poll(started.device_code as string)).status).toBe(429);
    t.clock.advance(15_000);
    expect((await poll(started.device_code as string)).body).toEqual({ status: 'pending' });
  });

  it('deny, expiry, and unknown codes', async () => {
    const bob = await person();
    const denied = await start();
    await json('POST', '/device/complete', {
      token: bob.token,
      body: { user_code: denied.user_code, approve: false },
    });
    // pylon-cli knows pending, authorised and expired only: a denial must stop it like an expiry.
    expect((await poll(denied.device_code as string)).body).toEqual({ status: 'expired' });
    t.clock.advance(6_000);
    expect((await poll(denied.device_code as string)).body).toEqual({ status: 'expired' });

    const late = await start();
    t.clock.advance(600_000);
    expect((await poll(late.device_code as string)).body).toEqual({ status: 'expired' });
    const tooLate = await json('POST', '/device/complete', {
      token: bob.token,
      body: { user_code: late.user_code, approve: true },
    });
    expect(tooLate.status).toBe(404);
    expect(tooLate.body.error).toBe('unknown_user_code');
    expect(
      (await json('POST', '/device/complete', { body: { user_code: 'BCDF-GHJK', approve: true } })).body
        .error,
    ).toBe('no_session');
    expect((await poll('not-a-code')).body).toEqual({ status: 'expired' });
  });

  it('wrong user codes are throttled per person', async () => {
    const carol = await person();
    let last = 0;
    for (let i = 0; i < 11; i++) {
      last = (
        await json('POST', '/device/complete', {
          token: carol.token,
          body: { user_code: 'BCDF-GHJK', approve: true },
        })
      ).status;
    }
    expect(last).toBe(429);
  });

  it("only an org's members approve device logins to it; the default org is everyone's", async () => {
    const owner = await person();
    const stranger = await person();
    const orgId = `devices-${database.kind}`;
    expect(
      (await json('POST', '/api/auth/orgs', { token: owner.token, body: { name: 'D', id: orgId } })).status,
    ).toBe(201);
    const started = (
      await json('POST', `/o/${orgId}/device/init`, { body: { client: 'cli', org_id: orgId } })
    ).body;
    const refused = await json('POST', `/o/${orgId}/device/complete`, {
      token: stranger.token,
      body: { user_code: started.user_code, approve: true },
    });
    expect([refused.status, refused.body.error]).toEqual([403, 'not_a_member']);
    // Wrong codes answer alike: refused before the code is looked at, so nothing about it leaks.
    const guessed = await json('POST', `/o/${orgId}/device/complete`, {
      token: stranger.token,
      body: { user_code: 'BCDF-GHJK', approve: true },
    });
    expect([guessed.status, guessed.body.error]).toEqual([403, 'not_a_member']);
    const page = await t.request(`/o/${orgId}/device?user_code=${started.user_code}`, {
      headers: { cookie: `pylon_session=${stranger.token}` },
    });
    expect(page.status).toBe(403);
    const text = await page.text();
    expect(text).toContain(`You are not a member of ${orgId}`);
    expect(text).not.toContain('name="csrf"');
    const pending = await json('GET', `/o/${orgId}/device/poll?device_code=${started.device_code}`);
    expect(pending.body).toEqual({ status: 'pending' });

    // A member's approval gives a session bound to the org, as /api/auth/me shows it.
    const approved = await json('POST', `/o/${orgId}/device/complete`, {
      token: owner.token,
      body: { user_code: started.user_code, approve: true },
    });
    expect(approved.body).toMatchObject({ status: 'approved' });
    t.clock.advance(5_000);
    const done = await json('GET', `/o/${orgId}/device/poll?device_code=${started.device_code}`);
    const me = await json('GET', '/api/auth/me', { token: done.body.session_jwt as string });
    expect(me.body).toMatchObject({ userId: owner.userId, tenantId: orgId, roles: ['owner'] });

    // The default org needs no membership (nobody is a member of it by default): pylon login works.
    const atRoot = await start();
    const byStranger = await json('POST', '/device/complete', {
      token: stranger.token,
      body: { user_code: atRoot.user_code, approve: true },
    });
    expect(byStranger.body).toMatchObject({ status: 'approved' });
  });

  describe('RFC 8628 endpoints', () => {
    it('publish metadata and run the device grant', async () => {
      const metadata = await json('GET', '/.well-known/oauth-authorization-server');
      expect(metadata.body).toMatchObject({
        issuer: 'http://localhost:4000/o/default',
        device_authorization_endpoint: 'http://localhost:4000/o/default/oauth/device_authorization',
        token_endpoint: 'http://localhost:4000/o/default/oauth/token',
        grant_types_supported: [
          'authorization_code',
          'refresh_token',
          'urn:ietf:params:oauth:grant-type:device_code',
        ],
      });
      const authz = await json('POST', '/oauth/device_authorization', { form: { client_id: 'some-tool' } });
      expect(authz.body).toMatchObject({
        verification_uri: 'http://localhost:4000/o/default/device',
        interval: 5,
        expires_in: 600,
      });
      const grant = {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: authz.body.device_code as string,
      };
      expect((await json('POST', '/oauth/token', { form: grant })).body.error).toBe('authorization_pending');
      expect((await json('POST', '/oauth/token', { form: grant })).body.error).toBe('slow_down');
      const dave = await person();
      await json('POST', '/device/complete', {
        token: dave.token,
        body: { user_code: authz.body.user_code, approve: true },
      });
      t.clock.advance(20_000);
      const token = await json('POST', '/oauth/token', { form: grant });
      expect(token.body).toMatchObject({
        access_token: expect.stringMatching(/^pylon_/),
        token_type: 'Bearer',
        expires_in: 86400,
      });
      t.clock.advance(20_000);
      // RFC 6749 §5.2: a used or never-issued code is an invalid grant, not an expired one.
      const used = await json('POST', '/oauth/token', { form: grant });
      expect(used.status).toBe(400);
      expect(used.body.error).toBe('invalid_grant');
      const unknown = await json('POST', '/oauth/token', {
        form: { grant_type: grant.grant_type, device_code: 'never-issued' },
      });
      expect(unknown.body.error).toBe('invalid_grant');
      const lapsed = await json('POST', '/oauth/device_authorization', { form: { client_id: 'some-tool' } });
      t.clock.advance(600_000);
      const expired = await json('POST', '/oauth/token', {
        form: { grant_type: grant.grant_type, device_code: lapsed.body.device_code as string },
      });
      expect(expired.body.error).toBe('expired_token');
      expect((await json('POST', '/oauth/token', { form: { grant_type: 'password' } })).body.error).toBe(
        'unsupported_grant_type',
      );
      // RFC 6749 §5.2: a missing required parameter is invalid_request.
      const missing = await json('POST', '/oauth/token', { form: { device_code: 'x' } });
      expect(missing.status).toBe(400);
      expect(missing.body.error).toBe('invalid_request');
      expect((await json('POST', '/oauth/device_authorization', { form: {} })).body.error).toBe(
        'invalid_request',
      );

      const refused = await json('POST', '/oauth/device_authorization', { form: { client_id: 'some-tool' } });
      await json('POST', '/device/complete', {
        token: dave.token,
        body: { user_code: refused.body.user_code, approve: false },
      });
      const denied = await json('POST', '/oauth/token', {
        form: { grant_type: grant.grant_type, device_code: refused.body.device_code as string },
      });
      expect(denied.body.error).toBe('access_denied');
    });
  });

  describe('hosted pages', () => {
    it('/device sends a signed-out person to /login and back', async () => {
      const response = await t.request('/device?user_code=BCDF-GHJK');
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(
        `/login?return_to=${encodeURIComponent('/device?user_code=BCDF-GHJK')}`,
      );
    });

    it('the link pre-fills the code but only an explicit POST with the CSRF token approves', async () => {
      const erin = await person();
      const cookie = `pylon_session=${erin.token}`;
      const started = await start('curious-cli');
      const page = await t.request(`/device?user_code=${started.user_code}`, { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(page.headers.get('content-security-policy')).not.toContain('script');
      const text = await page.text();
      expect(text).toContain('curious-cli');
      expect(text).not.toContain('<script');
      const csrf = /name="csrf" value="([^"]+)"/.exec(text)![1]!;
      const csrfCookie = /pylon_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')![1]!;
      expect((await poll(started.device_code as string)).body).toEqual({ status: 'pending' });

      const form = { user_code: started.user_code as string, approve: 'true' };
      const noToken = await json('POST', '/device/complete', {
        form,
        headers: { cookie: `${cookie}; pylon_csrf=${csrfCookie}`, origin: ORIGIN },
      });
      expect(noToken.status).toBe(403);
      const forged = await json('POST', '/device/complete', {
        form: { ...form, csrf: `${csrf.slice(0, -1)}${csrf.endsWith('x') ? 'y' : 'x'}` },
        headers: { cookie: `${cookie}; pylon_csrf=${csrfCookie}`, origin: ORIGIN },
      });
      expect(forged.status).toBe(403);
      const noCookie = await json('POST', '/device/complete', {
        form: { ...form, csrf },
        headers: { cookie, origin: ORIGIN },
      });
      expect(noCookie.status).toBe(403);
      const crossSite = await json('POST', '/device/complete', {
        form: { ...form, csrf },
        headers: { cookie: `${cookie}; pylon_csrf=${csrfCookie}`, origin: 'https://evil.example' },
      });
      expect(crossSite.status).toBe(403);
      const approved = await json('POST', '/device/complete', {
        form: { ...form, csrf },
        headers: { cookie: `${cookie}; pylon_csrf=${csrfCookie}`, origin: ORIGIN, accept: 'text/html' },
      });
      expect(approved.status).toBe(303);
      expect(approved.headers.get('location')).toBe('/device/done?status=approved');
      t.clock.advance(10_000);
      expect((await poll(started.device_code as string)).body.status).toBe('authorised');
    });

    it('/login signs in with an emailed code and returns only to a same-origin path', async () => {
      const page = await t.request('/login?return_to=%2Fdevice');
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('action="/login/code"');
      const email = `page-${database.kind}@example.com`;
      t.clock.advance(61_000);
      const headers = { origin: ORIGIN };
      const codePage = await json('POST', '/login/code', { form: { email, return_to: '/device' }, headers });
      expect(codePage.status).toBe(200);
      const code = /\n\s+(\d{6})\n/.exec(t.mail.at(-1)!.text)![1]!;
      const wrong = await json('POST', '/login/verify', {
        form: { email, code: '000000', return_to: '/device' },
        headers,
      });
      expect(wrong.status).toBe(400);
      expect(String(wrong.body.html)).toContain('That code is wrong');
      const signedIn = await json('POST', '/login/verify', {
        form: { email, code, return_to: '/device' },
        headers,
      });
      expect(signedIn.status).toBe(303);
      expect(signedIn.headers.get('location')).toBe('/device');
      expect(signedIn.headers.get('set-cookie')).toContain('pylon_session=pylon_');

      t.clock.advance(61_000);
      await json('POST', '/login/code', { form: { email, return_to: '//evil.example/x' }, headers });
      const code2 = /\n\s+(\d{6})\n/.exec(t.mail.at(-1)!.text)![1]!;
      const escaped = await json('POST', '/login/verify', {
        form: { email, code: code2, return_to: '//evil.example/x' },
        headers,
      });
      expect(escaped.headers.get('location')).toBe('/login/done');

      const forged = await json('POST', '/login/code', {
        form: { email },
        headers: { origin: 'https://evil.example' },
      });
      expect(forged.status).toBe(403);
    });

    it('/login with a password, then TOTP when the account has it', async () => {
      const email = `page-pw-${database.kind}@example.com`;
      await json('POST', '/api/auth/password/register', { body: { email, password: 'page password!' } });
      const headers = { origin: ORIGIN };
      const bad = await json('POST', '/login/password', {
        form: { email, password: 'nope nope nope' },
        headers,
      });
      expect(String(bad.body.html)).toContain('That email and password do not match.');
      const ok = await json('POST', '/login/password', {
        form: { email, password: 'page password!', return_to: '/x' },
        headers,
      });
      expect(ok.status).toBe(303);
      expect(ok.headers.get('location')).toBe('/x');
    });

    it('serves its stylesheet', async () => {
      const css = await t.request('/assets/pylon.css');
      expect(css.headers.get('content-type')).toContain('text/css');
      expect(await css.text()).toContain('.card');
    });
  });
});
