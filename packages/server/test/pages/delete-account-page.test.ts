import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { csrfOf, pageBrowser, signedInBrowser, visibleText } from '../support/page-browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * `/account/delete`: deleting the account from the hosted pages, behind a confirm step and the
 * checks `DELETE /api/auth/account` makes (a recent sign-in or the password; never the last owner).
 */
describe.each(testDatabases)('deleting the account on the hosted pages on $kind', (database) => {
  let t: TestServer;
  let n = 0;
  const email = () => `del${++n}-${database.kind}@example.com`;

  beforeAll(async () => {
    t = await startTestServer(database);
    // The cookie jar, like a browser, drops cookies past their Expires in real time.
    t.clock.set(Date.now());
  });
  afterAll(() => t.close());

  it('asks to confirm, then deletes the account, signs the browser out and says so', async () => {
    const b = await signedInBrowser(t, email());
    expect(await (await b.get('/account')).text()).toContain('href="/account/delete"');
    const page = await (await b.get('/account/delete')).text();
    // Without the box ticked nothing happens.
    const unconfirmed = await b.post('/account/delete', { csrf: csrfOf(page) });
    expect(unconfirmed.status).toBe(400);
    expect(visibleText(await unconfirmed.text())).toContain('Tick the box to confirm');
    expect((await b.get('/account')).status).toBe(200);
    const done = await b.post('/account/delete', { csrf: csrfOf(page), confirm: 'yes' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/account/deleted');
    expect(visibleText(await (await b.get('/account/deleted')).text())).toContain('Your account was deleted');
    expect((await b.get('/account')).status).toBe(303);
  });

  it('asks an account with a password for it, and refuses a wrong one without deleting anything', async () => {
    const address = email();
    const password = 'a long enough password 1';
    const registered = await t.request('/api/auth/password/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: address, password }),
    });
    expect(registered.status).toBe(200);
    const b = pageBrowser(t);
    expect(
      (await b.post('/login/password', { email: address, password, return_to: '/account' })).status,
    ).toBe(303);
    const page = await (await b.get('/account/delete')).text();
    expect(page).toContain('type="password"');
    const wrong = await b.post('/account/delete', {
      csrf: csrfOf(page),
      confirm: 'yes',
      password: 'not the password at all',
    });
    expect(wrong.status).toBe(400);
    const refusal = await wrong.text();
    expect(visibleText(refusal)).toContain('Your current password is not right');
    expect(refusal).not.toContain('not the password at all');
    expect((await b.get('/account')).status).toBe(200);
    const done = await b.post('/account/delete', { csrf: csrfOf(page), confirm: 'yes', password });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/account/deleted');
  });

  it("refuses a post without the page's CSRF token", async () => {
    const b = await signedInBrowser(t, email());
    const refused = await b.post('/account/delete', { confirm: 'yes' });
    expect(refused.status).toBe(403);
    expect((await b.get('/account')).status).toBe(200);
  });

  it('refuses an older sign-in with a way to sign in again, and the last owner of an org', async () => {
    const b = await signedInBrowser(t, email());
    const consolePage = await (await b.get('/console')).text();
    await b.post('/console/orgs', { csrf: csrfOf(consolePage), name: `Solo ${n}` });
    const page = await (await b.get('/account/delete')).text();
    const lastOwner = await b.post('/account/delete', { csrf: csrfOf(page), confirm: 'yes' });
    expect(lastOwner.status).toBe(400);
    expect(visibleText(await lastOwner.text())).toContain('You are the last owner of an organisation');
    // Six minutes on, the sign-in is no longer recent: the page says to sign in again and come back.
    t.clock.advance(6 * 60_000);
    const stale = await b.post('/account/delete', { csrf: csrfOf(page), confirm: 'yes' });
    expect(stale.status).toBe(403);
    const text = await stale.text();
    expect(visibleText(text)).toContain('this needs a sign-in from the last 5 minutes');
    expect(text).toContain(`/login?return_to=${encodeURIComponent('/account/delete')}`);
    expect((await b.get('/account')).status).toBe(200);
  });
});
