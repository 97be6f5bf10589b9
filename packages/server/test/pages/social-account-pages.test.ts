import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOGLE_CALLBACK, type SocialServer, startSocialServer } from '../identity/social.js';
import { CookieJar } from '../support/cookie-jar.js';
import { testDatabases } from '../support/databases.js';
import { signedInBrowser, visibleText } from '../support/page-browser.js';
import type { TestIdP } from '../support/peers/oidc-idp.js';
import type { TestServer } from '../support/server.js';

/**
 * The account pages of people who sign in with a provider: what `/account` says of an account
 * without an address, and what `/account/linked` says when a link comes back refused.
 */
describe.each(testDatabases)('the account pages with social sign-in on $kind', (database) => {
  let social: SocialServer;
  let idp: TestIdP;
  let t: TestServer;
  let n = 0;

  /** Through Google in a browser of its own (flow cookie kept), back at the callback. */
  const throughGoogle = async (jar: CookieJar, login: string, query = '') => {
    const started = await t.request(`/api/auth/login/google${query}`, jar.apply());
    jar.store(started);
    const { redirect } = (await started.json()) as { redirect: string };
    const callback = await idp.authorize(redirect, login, GOOGLE_CALLBACK);
    const done = await t.request(`/api/auth/callback/google${callback.search}`, jar.apply());
    jar.store(done);
    return done;
  };
  const page = async (jar: CookieJar, path: string) => {
    const response = await t.request(path, jar.apply({ headers: { accept: 'text/html' } }));
    expect(response.status, path).toBe(200);
    return visibleText(await response.text());
  };

  beforeAll(async () => {
    social = await startSocialServer(database, {});
    ({ t, idp } = social);
    // The cookie jar, like a browser, drops cookies past their Expires in real time.
    t.clock.set(Date.now());
  });
  afterAll(() => social?.close());

  it('an account made by a Google sign-in without a verified address: no address, no guest, no codes', async () => {
    const login = `unverified-${++n}`;
    idp.accounts.set(login, { email: `${login}@example.com`, email_verified: false });
    const browser = new CookieJar();
    expect((await throughGoogle(browser, login)).status).toBe(200);
    const me = await t.request('/api/auth/me', browser.apply());
    expect(await me.json()).toMatchObject({ email: null, isGuest: false });

    const account = await page(browser, '/account');
    expect(account).toContain('Emailnone Member since');
    expect(account).not.toContain('guest');
    expect(account).toContain('Passwordnone: you sign in with linked accountsSecurity');
    expect(account).not.toContain('codes');
    expect(account).toContain('Add an email address');
  });

  it('an account with an address signs in with emailed codes, and with a linked account once it has one', async () => {
    const email = `coded${++n}-${database.kind}@example.com`;
    const b = await signedInBrowser(t, email);
    expect(visibleText(await (await b.get('/account')).text())).toContain(
      'Passwordnone: you sign in with emailed codesSecurity',
    );
    const login = `linked-${n}`;
    idp.accounts.set(login, { email: `${login}@example.com`, email_verified: true });
    const linked = await throughGoogle(b.jar, login, '?link=1');
    expect(linked.status).toBe(200);
    expect(visibleText(await (await b.get('/account')).text())).toContain(
      'Passwordnone: you sign in with emailed codes or linked accountsSecurity',
    );
  });

  it('/account/linked says why a link came back refused, in its own words only', async () => {
    // A Google identity another account holds, linked from this page: back here with the code.
    const held = `held-${++n}`;
    idp.accounts.set(held, { email: `${held}@example.com`, email_verified: true });
    expect((await throughGoogle(new CookieJar(), held)).status).toBe(200);
    const b = await signedInBrowser(t, `linker${n}-${database.kind}@example.com`);
    const callback = encodeURIComponent('http://localhost:4000/account/linked');
    const refused = await throughGoogle(b.jar, held, `?link=1&callback=${callback}`);
    expect(refused.status).toBe(302);
    const location = new URL(refused.headers.get('location')!);
    expect(location.search).toBe('?error=IDENTITY_ALREADY_LINKED');
    expect(await page(b.jar, `${location.pathname}${location.search}`)).toContain(
      'That account is already linked to another account here.',
    );

    expect(await page(b.jar, '/account/linked?error=LINK_SESSION_MISMATCH')).toContain(
      'The link was finished in another browser or session than the one that started it',
    );
    // A forged or unknown code, or one longer than any, is the general sentence; never echoed.
    for (const forged of ['<script>alert(1)</script>', 'NOT_A_CODE', 'X'.repeat(500)]) {
      const response = await t.request(
        `/account/linked?error=${encodeURIComponent(forged)}`,
        b.jar.apply({ headers: { accept: 'text/html' } }),
      );
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(visibleText(text)).toContain('The account was not linked. Try again.');
      expect(text).not.toContain(forged.slice(0, 20));
      expect(text).not.toContain(encodeURIComponent(forged).slice(0, 20));
    }
    const plain = await page(b.jar, '/account/linked');
    expect(plain).not.toContain('not linked');
    expect(plain).toContain('Link Google');
  });
});
