import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from '../../src/features/identity/user-store.js';
import { CookieJar } from '../support/cookie-jar.js';
import { testDatabases } from '../support/databases.js';
import type { TestGitHub } from '../support/peers/github-api.js';
import type { TestIdP } from '../support/peers/oidc-idp.js';
import type { TestServer } from '../support/server.js';
import { GOOGLE_CALLBACK, type SocialServer, startSocialServer } from './social.js';

const APP = 'http://app.example.test';
const ADMIN = 'admin-token-for-oauth-tests-0123456789';
type Body = Record<string, unknown> & { error?: { code: string } };

describe.each(testDatabases)('social sign-in on $kind', (database) => {
  let social: SocialServer;
  let idp: TestIdP;
  let github: TestGitHub;
  let t: TestServer;

  /** The person's browser: it keeps the sign-in flow cookie between /login and the callback. */
  const browser = new CookieJar((name) => name.endsWith('_flow'));
  const call = async (path: string, init?: RequestInit, jar: CookieJar = browser) => {
    const response = await t.request(`/api/auth${path}`, jar.apply(init));
    jar.store(response);
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? JSON.parse(text) : {}) as Body,
    };
  };
  /** /login → the IdP signs `login` in → the callback URL the IdP sent the browser to. */
  const throughGoogle = async (login: string, query = '') => {
    const started = await call(`/login/google${query}`);
    expect(started.status).toBe(200);
    return idp.authorize(started.body.redirect as string, login, GOOGLE_CALLBACK);
  };
  const finish = (callback: URL, jar: CookieJar = browser) =>
    call(`/callback/google${callback.search}`, {}, jar);

  beforeAll(async () => {
    social = await startSocialServer(database, { PYLON_ADMIN_TOKEN: ADMIN, PYLON_TRUSTED_ORIGINS: APP });
    ({ t, idp, github } = social);
    idp.accounts.set('alice', { email: 'alice@example.com', email_verified: true });
  });
  afterAll(() => social?.close());

  it('lists the configured providers', async () => {
    expect((await call('/providers')).body).toEqual([
      { provider: 'google', auth_url: 'http://localhost:4000/api/auth/login/google' },
      { provider: 'github', auth_url: 'http://localhost:4000/api/auth/login/github' },
    ]);
  });

  it('/login refuses an unknown provider and an untrusted callback', async () => {
    expect((await call('/login/facebook')).body.error?.code).toBe('PROVIDER_NOT_FOUND');
    expect((await call(`/callback/facebook?code=x&state=y`)).status).toBe(404);
    for (const callback of ['https://evil.example/cb', 'not a url', 'javascript:alert(1)']) {
      const refused = await call(`/login/google?callback=${encodeURIComponent(callback)}`);
      expect(refused.status, callback).toBe(403);
      expect(refused.body.error?.code).toBe('UNTRUSTED_REDIRECT');
    }
  });

  it('sends the person to the IdP with PKCE S256, a state and a nonce', async () => {
    const started = await call('/login/google');
    const url = new URL(started.body.redirect as string);
    expect(url.origin).toBe(idp.issuer);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: idp.clientId,
      redirect_uri: GOOGLE_CALLBACK,
      scope: 'openid email profile',
      state: started.body.state,
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    });
    const redirected = await t.request('/api/auth/login/google?redirect=1', browser.apply());
    expect(redirected.status).toBe(302);
    expect(redirected.headers.get('location')).toMatch(new RegExp(`^${idp.issuer}/auth\\?`));
  });

  it('a first Google sign-in creates a verified account; the state then cannot be replayed', async () => {
    const callback = await throughGoogle('alice');
    const binding = browser.get('pylon_oauth_flow')!;
    const signedIn = await finish(callback);
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get('set-cookie')).toContain('pylon_session=');
    const me = await call('/me', { headers: { authorization: `Bearer ${signedIn.body.token}` } });
    expect(me.body).toMatchObject({ email: 'alice@example.com', emailVerified: true });

    // Replayed from the same browser, flow cookie and all: the state was consumed.
    const sameBrowser = new CookieJar();
    sameBrowser.set('pylon_oauth_flow', binding);
    const replay = await finish(callback, sameBrowser);
    expect(replay.status).toBe(403);
    expect(replay.body.error?.code).toBe('OAUTH_INVALID_STATE');

    const again = await finish(await throughGoogle('alice'));
    expect(again.body.user_id).toBe(signedIn.body.user_id);
    const audit = await call('/audit/deployment?action=auth.sign_in&limit=1000', {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const entries = audit.body.entries as Array<{ detail?: Record<string, unknown> }>;
    expect(entries.filter((e) => e.detail?.method === 'oauth_google').length).toBeGreaterThanOrEqual(2);
  });

  it('redirects to a trusted callback with the session cookie set', async () => {
    const callback = await throughGoogle('alice', `?callback=${encodeURIComponent(`${APP}/done?x=1`)}`);
    const response = await t.request(`/api/auth/callback/google${callback.search}`, browser.apply());
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${APP}/done?x=1`);
    expect(response.headers.get('set-cookie')).toMatch(/pylon_session=pylon_[0-9a-f]{64};/);
  });

  it('refuses a state from another provider, a missing state, an expired state', async () => {
    const callback = await throughGoogle('alice');
    const crossed = await call(`/callback/github${callback.search}`);
    expect(crossed.body.error?.code).toBe('OAUTH_INVALID_STATE');
    expect((await call('/callback/google?code=abc')).body.error?.code).toBe('OAUTH_INVALID_STATE');
    const late = await throughGoogle('alice');
    t.clock.advance(10 * 60_000 + 1);
    expect((await finish(late)).body.error?.code).toBe('OAUTH_INVALID_STATE');
    t.clock.set(Date.now());
  });

  it('a refused callback in a browser is a page naming the code, with a way back to sign-in', async () => {
    const callback = await throughGoogle('alice');
    const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    // Another browser (no flow cookie), a missing state, the provider's form post: each a page.
    const refusals = [
      await t.request(`/api/auth/callback/google${callback.search}`, { headers: html }),
      await t.request('/api/auth/callback/google?code=abc', { headers: html }),
      await t.request('/api/auth/callback/google', {
        method: 'POST',
        headers: { ...html, 'content-type': 'application/x-www-form-urlencoded', origin: 'null' },
        body: callback.searchParams.toString(),
      }),
    ];
    for (const page of refusals) {
      expect(page.status).toBe(403);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      const text = await page.text();
      expect(text.replace(/<[^>]*>/g, '')).toContain('Error code: OAUTH_INVALID_STATE');
      expect(text).toContain('href="/login"');
      expect(text).toContain('opened in another browser');
    }
    const unknown = await t.request('/api/auth/callback/facebook?code=x&state=y', { headers: html });
    expect(unknown.status).toBe(404);
    expect((await unknown.text()).replace(/<[^>]*>/g, '')).toContain('Error code: PROVIDER_NOT_FOUND');
    // An API client keeps the JSON error, and the browser that started still finishes.
    const api = await call(
      `/callback/google${callback.search}`,
      { headers: { accept: 'application/json' } },
      new CookieJar(),
    );
    expect(api).toMatchObject({ status: 403, body: { error: { code: 'OAUTH_INVALID_STATE' } } });
    expect((await finish(callback)).status).toBe(200);
  });

  it('a tampered code or a nonce that does not match fails the exchange with 502', async () => {
    const callback = await throughGoogle('alice');
    callback.searchParams.set('code', `${callback.searchParams.get('code')}x`);
    const tampered = await finish(callback);
    expect(tampered.status).toBe(502);
    expect(tampered.body.error?.code).toBe('OAUTH_TOKEN_EXCHANGE_FAILED');

    const honest = await throughGoogle('alice');
    // Forges what no client can reach: a stored nonce that differs from the one the IdP signs.
    await t.storage.db.updateTable('oauth_states').set({ nonce: 'someone-elses-nonce' }).execute();
    const wrongNonce = await finish(honest);
    expect(wrongNonce.status).toBe(502);
    expect(wrongNonce.body.error?.code).toBe('OAUTH_TOKEN_EXCHANGE_FAILED');
  });

  it('the IdP refusing sends the person back to the callback with the error', async () => {
    const started = await call(`/login/google?callback=${encodeURIComponent(`${APP}/done`)}`);
    const response = await t.request(
      `/api/auth/callback/google?error=access_denied&state=${started.body.state}`,
      browser.apply(),
    );
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${APP}/done?error=OAUTH_PROVIDER_ERROR`);
    expect(response.headers.get('set-cookie')).not.toContain('pylon_session=');
  });

  it('links to an existing account only when both sides have verified the email', async () => {
    // bob has a verified account (magic code) → Google with a verified email links to it.
    t.clock.advance(60_000);
    const sent = await call('/magic/send', {
      method: 'POST',
      body: JSON.stringify({ email: 'bob@example.com' }),
      headers: { 'content-type': 'application/json' },
    });
    const bob = await call('/magic/verify', {
      method: 'POST',
      body: JSON.stringify({ email: 'bob@example.com', code: sent.body.dev_code }),
      headers: { 'content-type': 'application/json' },
    });
    idp.accounts.set('bob-at-google', { email: 'bob@example.com', email_verified: true });
    expect((await finish(await throughGoogle('bob-at-google'))).body.user_id).toBe(bob.body.user_id);

    // Someone registered carol's address with a password and never proved it. Google vouching for
    // it is the first proof: carol gets the account, the earlier registrant keeps nothing.
    const squatter = await call('/password/register', {
      method: 'POST',
      body: JSON.stringify({ email: 'carol@example.com', password: 'carol unverified' }),
      headers: { 'content-type': 'application/json' },
    });
    idp.accounts.set('carol-at-google', { email: 'carol@example.com', email_verified: true });
    const carol = await finish(await throughGoogle('carol-at-google'));
    expect(carol.status).toBe(200);
    expect(carol.body.user_id).toBe(squatter.body.user_id);
    const squatterMe = await call('/me', { headers: { authorization: `Bearer ${squatter.body.token}` } });
    expect(squatterMe.body.userId).toBeNull();
    const squatterLogin = await call('/password/login', {
      method: 'POST',
      body: JSON.stringify({ email: 'carol@example.com', password: 'carol unverified' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(squatterLogin.body.error?.code).toBe('INVALID_CREDENTIALS');

    // An IdP that does not vouch for the email never links nor claims the address.
    idp.accounts.set('mallory', { email: 'bob@example.com', email_verified: false });
    const mallory = await finish(await throughGoogle('mallory'));
    expect(mallory.status).toBe(200);
    expect(mallory.body.user_id).not.toBe(bob.body.user_id);
    const me = await call('/me', { headers: { authorization: `Bearer ${mallory.body.token}` } });
    expect(me.body.email).toBeNull();
  });

  it('takes a provider email only when sign-up would, judged as the provider sent it', async () => {
    t.clock.advance(60_000);
    const sent = await call('/magic/send', {
      method: 'POST',
      body: JSON.stringify({ email: 'kate@example.com' }),
      headers: { 'content-type': 'application/json' },
    });
    const kate = await call('/magic/verify', {
      method: 'POST',
      body: JSON.stringify({ email: 'kate@example.com', code: sent.body.dev_code }),
      headers: { 'content-type': 'application/json' },
    });
    for (const [login, odd] of [
      ['kelvin', '\u212Aate@example.com'], // KELVIN SIGN: lowercased, it is kate@example.com
      ['listed', 'kate@example.com, x@example.com'],
      ['injected', 'kate@example.com\r\nBcc: x@example.com'],
    ] as const) {
      idp.accounts.set(login, { email: odd, email_verified: true });
      const signedIn = await finish(await throughGoogle(login));
      expect(signedIn.status, login).toBe(200);
      expect(signedIn.body.user_id, login).not.toBe(kate.body.user_id);
      const me = await call('/me', { headers: { authorization: `Bearer ${signedIn.body.token}` } });
      expect(me.body.email, login).toBeNull();
    }
  });

  it('a callback opened in another browser is refused (login CSRF) and stays usable in the first', async () => {
    // The attacker starts a sign-in with their own IdP account and sends the victim the callback.
    idp.accounts.set('attacker', { email: 'attacker@example.com', email_verified: true });
    const attackerBrowser = new CookieJar((name) => name.endsWith('_flow'));
    const started = await call('/login/google', {}, attackerBrowser);
    expect(attackerBrowser.get('pylon_oauth_flow')).toBeDefined();
    expect(started.body.state).not.toBe(attackerBrowser.get('pylon_oauth_flow'));
    const callback = await idp.authorize(started.body.redirect as string, 'attacker', GOOGLE_CALLBACK);

    const victimBrowser = new CookieJar();
    const victim = await finish(callback, victimBrowser);
    expect(victim.status).toBe(403);
    expect(victim.body.error?.code).toBe('OAUTH_INVALID_STATE');
    expect(victim.headers.get('set-cookie') ?? '').not.toContain('pylon_session=');

    // A browser with a flow cookie of its own, but for another flow, is refused the same way.
    await call('/login/google', {}, victimBrowser);
    expect((await finish(callback, victimBrowser)).body.error?.code).toBe('OAUTH_INVALID_STATE');

    // The state was not burned by the refusals: the browser that started it still finishes.
    const own = await finish(callback, attackerBrowser);
    expect(own.status).toBe(200);
    expect(attackerBrowser.get('pylon_oauth_flow')).toBeUndefined();
  });

  it('GitHub: code → token (PKCE) → /user and the primary verified email', async () => {
    const started = await call('/login/github');
    const redirect = new URL(started.body.redirect as string);
    expect(redirect.origin + redirect.pathname).toBe(`${github.url}/login/oauth/authorize`);
    expect(redirect.searchParams.get('scope')).toBe('read:user user:email');
    const code = github.approve(
      {
        id: 4242,
        login: 'octo',
        emails: [
          { email: 'old@example.com', primary: false, verified: true },
          { email: 'octo@example.com', primary: true, verified: true },
        ],
      },
      redirect.toString(),
    );
    const signedIn = await call(`/callback/github?code=${code}&state=${started.body.state}`);
    expect(signedIn.status).toBe(200);
    const me = await call('/me', { headers: { authorization: `Bearer ${signedIn.body.token}` } });
    expect(me.body).toMatchObject({ email: 'octo@example.com', emailVerified: true });
    // No HTTP view lists a user's linked identities: ask the store.
    const users = new UserStore(t.storage.db, t.server.services.random);
    expect(await users.findLinkedUser('github', '4242')).toBe(signedIn.body.user_id);

    const reused = await call(`/callback/github?code=${code}&state=${started.body.state}`);
    expect(reused.body.error?.code).toBe('OAUTH_INVALID_STATE');
    const second = await call('/login/github');
    const badCode = await call(`/callback/github?code=not-issued&state=${second.body.state}`);
    expect(badCode.status).toBe(502);
  });

  it('stores the PKCE verifier sealed and the state only as a hash', async () => {
    const started = await call('/login/google');
    // Only the raw rows show what is at rest.
    const rows = await t.storage.db.selectFrom('oauth_states').selectAll().execute();
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(started.body.state as string);
    expect(rows.every((row) => row.code_verifier_sealed.startsWith('v1.'))).toBe(true);
  });
  // Last in this file: it stops the IdP.
  it('an unreachable IdP at the callback sends the person back with the error, and signs nobody in', async () => {
    const callback = await throughGoogle('alice', `?callback=${encodeURIComponent(`${APP}/done`)}`);
    await idp.close();
    const response = await t.request(`/api/auth/callback/google${callback.search}`, browser.apply());
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${APP}/done?error=OAUTH_TOKEN_EXCHANGE_FAILED`);
    expect(response.headers.get('set-cookie') ?? '').not.toContain('pylon_session=');
  });
});
