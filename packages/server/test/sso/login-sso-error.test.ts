import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** The alert's text, or null when the page shows none. */
const alertOf = (page: string) => /<p class="error" role="alert">([^<]*)<\/p>/.exec(page)?.[1] ?? null;
const detailOf = (page: string) => /<p class="detail">Details: ([^<]*)<\/p>/.exec(page)?.[1] ?? null;

// A failed SSO sign-in sends the browser to its error_callback, the hosted /login when it started
// there, with `?sso_error=CODE&sso_error_message=…`. Anyone can craft that link, so the page says
// a fixed text per code and shows the message only as escaped, capped detail.
describe.each(testDatabases)('the hosted login page after a failed SSO sign-in on $kind', (database) => {
  let t: TestServer;

  const login = async (query: Record<string, string>) => {
    const response = await t.request(`/login?${new URLSearchParams(query)}`, {
      headers: { accept: 'text/html' },
    });
    expect(response.status).toBe(200);
    return response.text();
  };

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_PUBLIC_URL: 'http://localhost:4000' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('/login/continue asks for the second factor an IdP sign-in left due, else goes on to return_to', async () => {
    const withChallenge = await t.request('/login/continue?return_to=%2Fapp&mfa_token=mfa_abc', {
      headers: { accept: 'text/html' },
    });
    expect(withChallenge.status).toBe(200);
    const page = await withChallenge.text();
    expect(page).toContain('action="/login/totp"');
    expect(page).toContain('name="mfa_token" value="mfa_abc"');
    expect(page).toContain('name="return_to" value="/app"');

    const signedIn = await t.request('/login/continue?return_to=%2Fapp');
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/app');
    // Never onwards to another site: an unsafe return_to falls back to the page's own landing.
    const offsite = await t.request(
      `/login/continue?return_to=${encodeURIComponent('https://evil.example/')}`,
    );
    expect(offsite.headers.get('location')).toBe('/login/done');
  });

  it('shows no alert without sso_error', async () => {
    const page = await login({});
    expect(alertOf(page)).toBeNull();
    expect(detailOf(page)).toBeNull();
  });

  it('says the fixed text of a known code, with the message as escaped detail', async () => {
    const page = await login({
      sso_error: 'SSO_SIGN_IN_FAILED',
      sso_error_message: 'The identity provider did not grant the sign-in',
    });
    expect(alertOf(page)).toBe(
      'Your identity provider did not complete the sign-in. Try again, or use an emailed code.',
    );
    expect(detailOf(page)).toBe('The identity provider did not grant the sign-in');
    // Each SAML refusal has its own text.
    const replayed = await login({ sso_error: 'SAML_ASSERTION_REPLAYED' });
    expect(alertOf(replayed)).toBe('That sign-in was already used. Start again.');
    expect(detailOf(replayed)).toBeNull();
    // The form to try again is there, keeping return_to.
    const back = await login({ sso_error: 'SSO_SIGN_IN_FAILED', return_to: '/app' });
    expect(back).toContain('<input type="hidden" name="return_to" value="/app">');
  });

  it('never renders markup from the link: the message is escaped, the code never echoed', async () => {
    const page = await login({
      sso_error: '<img src=x onerror=alert(1)>',
      sso_error_message: '<script>alert(1)</script><a href="https://evil.example">call us</a>',
    });
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<a href="https://evil.example"');
    expect(page).not.toContain('onerror');
    // An unknown code gets the generic text.
    expect(alertOf(page)).toBe('The sign-in through your organisation did not complete. Try again.');
    expect(detailOf(page)).toBe(
      '&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&quot;https://evil.example&quot;&gt;call us&lt;/a&gt;',
    );
  });

  it('caps the message at 200 characters and flattens control characters', async () => {
    const long = `${'a'.repeat(150)}\r\n${'b'.repeat(300)}`;
    const detail = detailOf(await login({ sso_error: 'INVALID_SAML_RESPONSE', sso_error_message: long }));
    expect(detail).toBe(`${'a'.repeat(150)} ${'b'.repeat(48)}…`);
    expect([...detail!]).toHaveLength(200);
  });
});
