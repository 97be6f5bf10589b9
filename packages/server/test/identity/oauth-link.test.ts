import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar } from '../support/cookie-jar.js';
import { testDatabases } from '../support/databases.js';
import type { TestGitHub } from '../support/peers/github-api.js';
import type { TestIdP } from '../support/peers/oidc-idp.js';
import type { TestServer } from '../support/server.js';
import { GOOGLE_CALLBACK, type SocialServer, startSocialServer } from './social.js';

const APP = 'http://app.example.test';
const ADMIN = 'admin-token-for-oauth-link-tests-0123456789';
const SESSION = 'pylon_session';
type Body = Record<string, unknown> & { error?: { code: string } };

describe.each(testDatabases)('linking a provider while signed in on $kind', (database) => {
  let social: SocialServer;
  let idp: TestIdP;
  let github: TestGitHub;
  let t: TestServer;

  const call = async (path: string, jar: CookieJar, init?: RequestInit) => {
    const response = await t.request(`/api/auth${path}`, jar.apply(init));
    jar.store(response);
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? JSON.parse(text) : {}) as Body,
    };
  };
  const json = (body: unknown): RequestInit => ({
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  /** A browser signed in (session cookie) to a fresh, verified account. */
  const signedIn = async (email: string) => {
    const jar = new CookieJar();
    const sent = await call('/magic/send', jar, json({ email }));
    const verified = await call('/magic/verify', jar, json({ email, code: sent.body.dev_code }));
    expect(jar.get(SESSION)).toBeDefined();
    return { jar, userId: verified.body.user_id as string, token: verified.body.token as string };
  };
  /** /login?link=1 in this browser → the IdP signs `login` in → the callback URL it sends back. */
  const startLink = async (jar: CookieJar, login: string, query = '') => {
    const started = await call(`/login/google?link=1${query}`, jar);
    expect(started.status).toBe(200);
    return idp.authorize(started.body.redirect as string, login, GOOGLE_CALLBACK);
  };
  const finish = (callback: URL, jar: CookieJar) => call(`/callback/google${callback.search}`, jar);
  const linked = async (jar: CookieJar) => (await call('/linked-accounts', jar)).body as unknown as unknown[];
  const linkAudits = async (userId: string) => {
    const audit = await call('/audit/deployment?action=user.identity_linked&limit=1000', new CookieJar(), {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const entries = audit.body.entries as Array<{ target?: string; detail?: unknown }>;
    return entries.filter((entry) => entry.target === userId);
  };

  beforeAll(async () => {
    social = await startSocialServer(database, { PYLON_ADMIN_TOKEN: ADMIN, PYLON_TRUSTED_ORIGINS: APP });
    ({ t, idp, github } = social);
  });
  afterAll(() => social?.close());

  it('links to the signed-in account, keeps its email, and later signs in to it; twice is idempotent', async () => {
    const dave = await signedIn('dave@example.com');
    idp.accounts.set('dave-google', { email: 'Dave.Other@example.net', email_verified: true });
    const done = await finish(await startLink(dave.jar, 'dave-google'), dave.jar);
    expect(done).toMatchObject({ status: 200, body: { linked: true, provider: 'google' } });
    // No session is minted: the browser keeps the one it had.
    expect(done.headers.get('set-cookie') ?? '').not.toContain(`${SESSION}=`);
    expect(await linked(dave.jar)).toEqual([
      expect.objectContaining({
        provider: 'google',
        subject: 'dave-google',
        email: 'dave.other@example.net',
      }),
    ]);
    const me = await call('/me', dave.jar);
    expect(me.body).toMatchObject({ userId: dave.userId, email: 'dave@example.com' });
    expect(await linkAudits(dave.userId)).toEqual([
      expect.objectContaining({ detail: { provider: 'google' } }),
    ]);

    // Signing in with the provider in a fresh browser lands on this account.
    const elsewhere = new CookieJar();
    const started = await call('/login/google', elsewhere);
    const signIn = await finish(
      await idp.authorize(started.body.redirect as string, 'dave-google', GOOGLE_CALLBACK),
      elsewhere,
    );
    expect(signIn.body.user_id).toBe(dave.userId);

    // Linking the same identity again succeeds and changes nothing.
    const again = await finish(await startLink(dave.jar, 'dave-google'), dave.jar);
    expect(again).toMatchObject({ status: 200, body: { linked: true, provider: 'google' } });
    expect(await linked(dave.jar)).toHaveLength(1);
    expect(await linkAudits(dave.userId)).toHaveLength(1);
  });

  it('a link started with a bearer session; an unverified provider email is not stored (GitHub)', async () => {
    const gina = await signedIn('gina@example.com');
    const browser = new CookieJar((name) => name.endsWith('_flow'));
    const started = await call('/login/github?link=1', browser, {
      headers: { authorization: `Bearer ${gina.token}` },
    });
    expect(started.status).toBe(200);
    const code = github.approve(
      { id: 7070, login: 'gina', emails: [{ email: 'gina@example.org', primary: true, verified: false }] },
      started.body.redirect as string,
    );
    browser.set(SESSION, gina.jar.get(SESSION)!);
    const done = await call(`/callback/github?code=${code}&state=${started.body.state}`, browser);
    expect(done.body).toEqual({ linked: true, provider: 'github' });
    expect(await linked(gina.jar)).toEqual([
      expect.objectContaining({ provider: 'github', subject: '7070', email: null }),
    ]);
  });

  it('refuses to start without a session', async () => {
    const anonymous = new CookieJar();
    const refused = await call('/login/google?link=1', anonymous);
    expect(refused).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    expect(anonymous.get('pylon_oauth_flow')).toBeUndefined();
    const withAdmin = await call('/login/google?link=1', anonymous, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(withAdmin.status).toBe(401);
    // A guest has no account to link to (a sign-in with the provider merges it instead).
    const guest = await call('/guest', anonymous, { method: 'POST' });
    const asGuest = await call('/login/google?link=1', new CookieJar(), {
      headers: { authorization: `Bearer ${guest.body.token}` },
    });
    expect(asGuest).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
  });

  it('refuses a callback completed in another browser, even one signed in to the same account', async () => {
    const erin = await signedIn('erin@example.com');
    idp.accounts.set('erin-google', { email: 'erin@example.com', email_verified: true });
    const callback = await startLink(erin.jar, 'erin-google');
    const other = new CookieJar();
    other.set(SESSION, erin.jar.get(SESSION)!);
    const refused = await finish(callback, other);
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'OAUTH_INVALID_STATE' } } });
    expect(await linked(erin.jar)).toEqual([]);
  });

  it('refuses a callback carrying another session than the one that started it', async () => {
    const frank = await signedIn('frank@example.com');
    const mallory = await signedIn('mallory-link@example.com');
    idp.accounts.set('frank-google', { email: 'frank@example.com', email_verified: true });

    // The browser switched accounts between start and callback.
    let callback = await startLink(frank.jar, 'frank-google');
    const frankSession = frank.jar.get(SESSION)!;
    frank.jar.set(SESSION, mallory.jar.get(SESSION)!);
    const switched = await finish(callback, frank.jar);
    expect(switched).toMatchObject({ status: 403, body: { error: { code: 'LINK_SESSION_MISMATCH' } } });
    expect(await linked(mallory.jar)).toEqual([]);

    // Signed out between start and callback, with a callback URL: the error goes there.
    frank.jar.set(SESSION, frankSession);
    callback = await startLink(frank.jar, 'frank-google', `&callback=${encodeURIComponent(`${APP}/linked`)}`);
    const signedOut = new CookieJar();
    signedOut.set('pylon_oauth_flow', frank.jar.get('pylon_oauth_flow')!);
    const response = await t.request(`/api/auth/callback/google${callback.search}`, signedOut.apply());
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${APP}/linked?error=LINK_SESSION_MISMATCH`);
    expect(await linked(frank.jar)).toEqual([]);

    // The right session and a callback URL: back to it, linked.
    callback = await startLink(frank.jar, 'frank-google', `&callback=${encodeURIComponent(`${APP}/linked`)}`);
    const ok = await t.request(`/api/auth/callback/google${callback.search}`, frank.jar.apply());
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toBe(`${APP}/linked`);
    expect(await linked(frank.jar)).toHaveLength(1);
  });

  it('refuses with 409 an identity linked to another account', async () => {
    // hank signed up with Google; ivan tries to link hank's Google account to himself.
    idp.accounts.set('hank-google', { email: 'hank@example.com', email_verified: true });
    const hankBrowser = new CookieJar();
    const started = await call('/login/google', hankBrowser);
    const hank = await finish(
      await idp.authorize(started.body.redirect as string, 'hank-google', GOOGLE_CALLBACK),
      hankBrowser,
    );
    expect(hank.status).toBe(200);
    const ivan = await signedIn('ivan@example.com');
    const refused = await finish(await startLink(ivan.jar, 'hank-google'), ivan.jar);
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'IDENTITY_ALREADY_LINKED' } } });
    expect(await linked(ivan.jar)).toEqual([]);
    expect(await linked(hankBrowser)).toHaveLength(1);

    const callback = await startLink(ivan.jar, 'hank-google', `&callback=${encodeURIComponent(`${APP}/x`)}`);
    const redirected = await t.request(`/api/auth/callback/google${callback.search}`, ivan.jar.apply());
    expect(redirected.headers.get('location')).toBe(`${APP}/x?error=IDENTITY_ALREADY_LINKED`);
  });
});
