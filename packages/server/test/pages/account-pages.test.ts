import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, hotp, timeStep } from '../../src/features/mfa/totp.js';

const generateTOTP = (secret: string, now: number) => hotp(base32Decode(secret), timeStep(now));

import { testDatabases } from '../support/databases.js';
import { csrfOf, pageBrowser, signedInBrowser, visibleText } from '../support/page-browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ACCOUNT_PAGES = [
  '/account',
  '/account/security',
  '/account/sessions',
  '/account/api-keys',
  '/account/linked',
  '/account/activity',
  '/verify-email',
];

describe.each(testDatabases)('the hosted account pages on $kind', (database) => {
  let t: TestServer;
  let n = 0;

  const browser = () => pageBrowser(t);

  /** A browser signed in through the hosted sign-in page with an emailed code. */
  const signedIn = async () => {
    const email = `p${++n}-${database.kind}@example.com`;
    return { b: await signedInBrowser(t, email), email };
  };

  beforeAll(async () => {
    t = await startTestServer(database);
    // The cookie jar, like a browser, drops cookies past their Expires in real time.
    t.clock.set(Date.now());
  });
  afterAll(() => t.close());

  it('every page that shows data sends a signed-out visitor to sign in, showing nothing', async () => {
    const b = browser();
    for (const path of ACCOUNT_PAGES) {
      const res = await b.get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location')).toBe(`/login?return_to=${encodeURIComponent(path)}`);
    }
    // An API key is no browser session: the pages refuse it the same way.
    const { b: owner } = await signedIn();
    const keysPage = await (await owner.get('/account/api-keys')).text();
    await owner.post('/account/api-keys', { csrf: csrfOf(keysPage), name: 'k' });
    const created = /aria-label="New API key">([^<]+)</.exec(
      await (await owner.get('/account/api-keys')).text(),
    );
    expect(created).toBeNull(); // shown once, in the POST's answer only
  });

  it('refuses every form without the page’s CSRF token, with a wrong one, or from another site', async () => {
    const { b } = await signedIn();
    const page = await (await b.get('/account')).text();
    const csrf = csrfOf(page);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // Another last character whatever this one is (a fixed `x` was the same token one time in 64).
    const wrong = `${csrf.slice(0, -1)}${csrf.endsWith('x') ? 'y' : 'x'}`;
    expect(wrong).not.toBe(csrf);
    const forms = [
      '/account/sessions/revoke-others',
      '/account/api-keys',
      '/account/password',
      '/account/totp/enroll',
      '/account/email',
      '/account/sign-out',
      '/verify-email/send',
    ];
    for (const path of forms) {
      expect((await b.post(path, {})).status, path).toBe(403);
      expect((await b.post(path, { csrf: wrong })).status, path).toBe(403);
      expect((await b.post(path, { csrf }, 'https://evil.example')).status, path).toBe(403);
    }
    // The signed-out forms check the origin as /login's do.
    for (const path of ['/signup', '/reset', '/reset/confirm']) {
      expect((await b.post(path, { email: 'x@example.com' }, 'https://evil.example')).status, path).toBe(403);
    }
    // Nothing above took effect: still signed in, no key made.
    expect((await b.get('/account')).status).toBe(200);
    expect(visibleText(await (await b.get('/account/api-keys')).text())).toContain('You have no API keys.');
  });

  it('signs up with a password, then verifies the address with the emailed code', async () => {
    const b = browser();
    const email = `new${++n}-${database.kind}@example.com`;
    const tooLong = await b.post('/signup', { email: `${'e'.repeat(320)}@example.com`, password: 'x' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.headers.get('content-type')).toContain('text/html');
    expect(visibleText(await tooLong.text())).toContain('Email is too long: at most 320 characters.');
    const crossSite = await b.post(
      '/signup',
      { email: `${'e'.repeat(320)}@example.com`, password: 'x' },
      'https://evil.example',
    );
    expect(crossSite.status).toBe(403);
    const weak = await b.post('/signup', { email, password: 'short' });
    expect(weak.status).toBe(400);
    expect(visibleText(await weak.text())).toContain('Use a password of 10 to 256 characters.');
    const made = await b.post('/signup', { email, password: 'a long enough passphrase' });
    expect(made.status).toBe(303);
    expect(made.headers.get('location')).toBe('/verify-email');
    // Signing up sent the first code unasked, and the page asks for it.
    expect(t.mail.at(-1)!.to).toBe(email);
    const code = /\n\s+(\d{6})\n/.exec(t.mail.at(-1)!.text)![1]!;
    const page = await (await b.get('/verify-email')).text();
    expect(visibleText(page)).toContain(`We sent a code to ${email}.`);
    expect(page).toContain('name="code"');
    expect(visibleText(page)).toContain('Send another code');
    const wrong = await b.post('/verify-email', {
      csrf: csrfOf(page),
      code: code === '000000' ? '111111' : '000000',
    });
    expect(wrong.status).toBe(400);
    // The page says why and, the code having been sent, still asks for it.
    const wrongPage = visibleText(await wrong.text());
    expect(wrongPage).toContain('That code is wrong, expired or already used.');
    expect(wrongPage).toContain('Send another code');
    const ok = await b.post('/verify-email', { csrf: csrfOf(page), code });
    expect(visibleText(await ok.text())).toContain('Email verified');
    // The same address again is refused.
    const again = await browser().post('/signup', { email, password: 'another long passphrase' });
    expect(again.status).toBe(400);
  });

  it('asks for a verification code only while one is on its way', async () => {
    const b = browser();
    const email = `late${++n}-${database.kind}@example.com`;
    expect((await b.post('/signup', { email, password: 'a long enough passphrase' })).status).toBe(303);
    // The code sent at sign-up expires unused: the page offers a new one and asks for none.
    t.clock.advance(11 * 60_000);
    const stale = await (await b.get('/verify-email')).text();
    expect(visibleText(stale)).toContain('Email me a code');
    expect(visibleText(stale)).not.toContain('We sent a code');
    expect(stale).not.toContain('name="code"');
    const sent = await b.post('/verify-email/send', { csrf: csrfOf(stale) });
    expect(sent.status).toBe(200);
    expect(await sent.text()).toContain('name="code"');
    // Asked for again within the minute: the throttle says so, and the live code is still asked for.
    const again = await b.post('/verify-email/send', { csrf: csrfOf(stale) });
    expect(again.status).toBe(429);
    expect(await again.text()).toContain('name="code"');
    const page = await (await b.get('/verify-email')).text();
    expect(visibleText(page)).toContain(`We sent a code to ${email}.`);
    expect(page).toContain('name="code"');
  });

  it('resets a password with the emailed code: once, and the old sessions end', async () => {
    const { b, email } = await signedIn();
    const reset = browser();
    t.clock.advance(61_000); // the code-send throttle: one code a minute per address
    const asked = await reset.post('/reset', { email });
    expect(asked.status).toBe(200);
    const code = /\n\s+(\S{20,})\n/.exec(t.mail.at(-1)!.text)![1]!;
    const unknown = await reset.post('/reset', { email: `nobody${++n}@example.com` });
    expect(visibleText(await unknown.text())).toContain('Set a new password'); // the same page
    const tampered = await reset.post('/reset/confirm', {
      code: `${code}x`,
      password: 'a brand new passphrase',
    });
    expect(tampered.status).toBe(400);
    const done = await reset.post('/reset/confirm', { code, password: 'a brand new passphrase' });
    expect(visibleText(await done.text())).toContain('Password changed');
    const replayed = await reset.post('/reset/confirm', { code, password: 'yet another passphrase' });
    expect(replayed.status).toBe(400);
    expect((await b.get('/account')).status).toBe(303); // signed out everywhere
  });

  it('lists sessions with this device marked, and revokes the others', async () => {
    const { b, email } = await signedIn();
    const other = browser();
    t.clock.advance(61_000); // the code-send throttle: one code a minute per address
    await other.post('/login/code', { email });
    const code = /\n\s+(\d{6})\n/.exec(t.mail.at(-1)!.text)![1]!;
    await other.post('/login/verify', { email, code });
    const page = await (await b.get('/account/sessions')).text();
    expect(page.match(/this device/g)).toHaveLength(1);
    const result = await b.post('/account/sessions/revoke-others', { csrf: csrfOf(page) });
    expect(visibleText(await result.text())).toContain('1 other session was signed out.');
    expect((await other.get('/account')).status).toBe(303);
    expect((await b.get('/account')).status).toBe(200);
  });

  it('creates an API key shown once, which works, and revokes it', async () => {
    const { b } = await signedIn();
    const page = await (await b.get('/account/api-keys')).text();
    // A malformed expiry date is refused on the page, and no key is made.
    const badDate = await b.post('/account/api-keys', { csrf: csrfOf(page), name: 'x', expires: '2030-1-1' });
    expect(badDate.status).toBe(400);
    const refusedPage = visibleText(await badDate.text());
    expect(refusedPage).toContain('Expires is not a date: choose a day.');
    expect(refusedPage).toContain('You have no API keys.');
    // An expiry the use case refuses (past, or past ten years) is said of the field, and the form
    // keeps what was typed.
    for (const [expires, sentence] of [
      ['2020-01-01', 'Expires must be a day after today, or left empty for a key that does not expire.'],
      ['2099-01-01', 'Expires is too far ahead: at most ten years from today.'],
    ] as const) {
      const refused = await b.post('/account/api-keys', { csrf: csrfOf(page), name: 'deploy box', expires });
      expect(refused.status, expires).toBe(400);
      const text = await refused.text();
      expect(visibleText(text), expires).toContain(sentence);
      expect(text).toContain(
        'name="name" type="text" maxlength="100" required placeholder="e.g. deploy script" value="deploy box"',
      );
      expect(text).toContain(`name="expires" type="date" value="${expires}"`);
    }
    // A name longer than the form takes is said on the page too, not answered as JSON.
    const longName = await b.post('/account/api-keys', { csrf: csrfOf(page), name: 'n'.repeat(101) });
    expect(longName.status).toBe(400);
    expect(longName.headers.get('content-type')).toContain('text/html');
    expect(visibleText(await longName.text())).toContain('Name is too long: at most 100 characters.');
    // Without the page's token the same post is the forged-form refusal, whatever its fields.
    const forgedLong = await b.post('/account/api-keys', { name: 'n'.repeat(101) });
    expect(forgedLong.status).toBe(403);
    const answer = await b.post('/account/api-keys', { csrf: csrfOf(page), name: 'deploy' });
    // The key is on the outcome page the post redirected to; reloading that page shows it no more
    // and makes no second key.
    expect(answer.status).toBe(200);
    const created = await answer.text();
    const key = /aria-label="New API key">([^<]+)</.exec(created)![1]!;
    const shownAt = /\/shown\/[\w-]+/.exec(b.lastURL())![0];
    const reloaded = await b.get(shownAt);
    expect(reloaded.status).toBe(410);
    expect(await reloaded.text()).not.toContain(key);
    expect((await (await b.get('/account/api-keys')).text()).match(/name="key_id"/g)).toHaveLength(1);
    const me = await t.request('/api/auth/me', { headers: { authorization: `Bearer ${key}` } });
    expect(((await me.json()) as { authMethod: string }).authMethod).toBe('api_key');
    const id = /name="key_id" value="([^"]+)"/.exec(created)![1]!;
    const listed = await (await b.get('/account/api-keys')).text();
    expect(listed).not.toContain(key);
    await b.post('/account/api-keys/revoke', { csrf: csrfOf(page), key_id: id });
    const after = await t.request('/api/auth/me', { headers: { authorization: `Bearer ${key}` } });
    expect(after.status).toBe(401);
    // The key cannot open the pages: they want a browser session.
    const withKey = await t.request('/account', {
      headers: { authorization: `Bearer ${key}`, accept: 'text/html' },
    });
    expect(withKey.status).toBe(303);
  });

  it('turns TOTP on with a first code (backup codes shown once), and off again', async () => {
    const { b } = await signedIn();
    const page = await (await b.get('/account/security')).text();
    const csrf = csrfOf(page);
    const enrolling = await (await b.post('/account/totp/enroll', { csrf })).text();
    const secret = /aria-label="Setup key">([A-Z2-7]+)</.exec(enrolling)![1]!;
    const wrong = await b.post('/account/totp/confirm', { csrf, code: '000000' });
    expect(wrong.status).toBe(400);
    // A mistyped first code asks again for the same key, beside its form: nothing to start over.
    const askedAgain = await wrong.text();
    expect(/aria-label="Setup key">([A-Z2-7]+)</.exec(askedAgain)?.[1]).toBe(secret);
    expect(askedAgain).toContain('action="/account/totp/confirm"');
    expect(visibleText(askedAgain)).toMatch(/Two-factor authentication\s+That code is wrong/);
    const code = generateTOTP(secret, t.clock.now());
    const on = await (await b.post('/account/totp/confirm', { csrf, code })).text();
    expect(on.match(/<li>[0-9A-Z]{4}-[0-9A-Z]{4}<\/li>/g)).toHaveLength(10);
    expect(visibleText(await (await b.get('/account/security')).text())).not.toMatch(
      /[0-9A-Z]{4}-[0-9A-Z]{4}/,
    );
    t.clock.advance(31_000);
    const off = await b.post('/account/totp/disable', { csrf, code: generateTOTP(secret, t.clock.now()) });
    expect(visibleText(await off.text())).toContain('Two-factor authentication is off.');
  });

  it('shows the person’s own activity, and nobody else’s', async () => {
    const { b } = await signedIn();
    const { email: stranger } = await signedIn();
    const page = visibleText(await (await b.get('/account/activity')).text());
    // Said as a person knows it, the code kept beside it; the person is "you", the place their account.
    expect(page).toContain('Signed in (emailed code) auth.sign_in');
    expect(page).toContain('Account created user.created');
    expect(page).toMatch(/\byou\b/);
    expect(page).toContain('Your account');
    expect(page).not.toContain(stranger);
  });
});
