import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowFormTargets } from '../../src/pages/sign-in-step.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { ADMIN, BASE, pkce, REDIRECT, registerClient } from './support.js';

const ORIGIN = 'http://localhost:4000';
const CLIENT_ORIGIN = new URL(REDIRECT).origin;

/** The CSP `form-action` sources of a page. */
function formAction(response: Response): string {
  const csp = response.headers.get('content-security-policy') ?? '';
  return /form-action ([^;]+)/.exec(csp)?.[1] ?? '';
}

/**
 * A sign-in form's POST is answered by a redirect to its `return_to`; when that is an
 * authorisation request the person already allowed, the authorisation endpoint redirects on to
 * the client. CSP `form-action` governs that whole chain (Chromium enforces it), so every page
 * holding a sign-in form allows the origin of the request's redirect URI — only when the client
 * registered it.
 */
describe.each(testDatabases)('sign-in pages that go on to an authorisation request on $kind', (database) => {
  let t: TestServer;
  let clientId: string;

  const authorizePath = (extra: Record<string, string> = {}, base = BASE) =>
    `${base}/oauth/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      state: 'xyz',
      ...extra,
    })}`;
  const get = (path: string) => t.request(path);
  const post = (path: string, form: Record<string, string>) =>
    t.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
      body: new URLSearchParams(form).toString(),
    });
  const login = (back: string) => get(`${BASE}/login?return_to=${encodeURIComponent(back)}`);

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    clientId = (await registerClient(t)).client_id;
  });
  afterAll(() => t.close());

  it('allows the redirect URI’s origin on every page that holds a sign-in form', async () => {
    const back = authorizePath();
    const pages: Array<[string, Response]> = [
      ['/login', await login(back)],
      ['/signup', await get(`${BASE}/signup?return_to=${encodeURIComponent(back)}`)],
      ['the code form', await post(`${BASE}/login/code`, { email: 'p@example.com', return_to: back })],
      [
        'the code form again, after a wrong code',
        await post(`${BASE}/login/verify`, { email: 'p@example.com', code: '000000', return_to: back }),
      ],
      [
        'the password form again, after a wrong password',
        await post(`${BASE}/login/password`, {
          email: 'p@example.com',
          password: 'not the password',
          return_to: back,
        }),
      ],
      [
        'the second factor after an IdP',
        await get(`${BASE}/login/continue?${new URLSearchParams({ mfa_token: 'x', return_to: back })}`),
      ],
      [
        'the second factor again, after a wrong code',
        await post(`${BASE}/login/totp`, { mfa_token: 'x', code: '000000', return_to: back }),
      ],
      ['a sign-up refused', await post(`${BASE}/signup`, { email: 'bad', password: 'x', return_to: back })],
    ];
    for (const [name, response] of pages) {
      expect(response.headers.get('content-type'), name).toContain('text/html');
      expect(formAction(response), name).toBe(`'self' ${CLIENT_ORIGIN}`);
    }
  });

  it('at the root as under /o/{org}: the return path names the page’s own base', async () => {
    const root = await get(`/login?return_to=${encodeURIComponent(authorizePath({}, ''))}`);
    expect(formAction(root)).toBe(`'self' ${CLIENT_ORIGIN}`);
    // Another base than the page's is not this org's authorisation endpoint as the page knows it.
    const other = await get(`/login?return_to=${encodeURIComponent(authorizePath())}`);
    expect(formAction(other)).toBe("'self'");
  });

  it('allows nothing more for a redirect URI the client did not register, or any other return path', async () => {
    for (const back of [
      authorizePath({ redirect_uri: 'https://evil.example/callback' }),
      authorizePath({ client_id: 'pyc_unknown' }),
      `${authorizePath()}&redirect_uri=${encodeURIComponent('https://evil.example/callback')}`,
      `${authorizePath()}&client_id=pyc_other`,
      `${BASE}/account?${new URLSearchParams({ client_id: clientId, redirect_uri: REDIRECT })}`,
      `https://evil.example${authorizePath()}`,
      `//evil.example${authorizePath()}`,
      '/login/done',
    ]) {
      expect(formAction(await login(back)), back).toBe("'self'");
    }
  });

  it('adds only plain origins to the policy, never text that could end the directive', () => {
    const csp = "default-src 'none'; form-action 'self'; frame-ancestors 'none'";
    expect(allowFormTargets(csp, ['https://app.example:8443', 'http://[::1]:9000'])).toBe(
      "default-src 'none'; form-action 'self' https://app.example:8443 http://[::1]:9000; frame-ancestors 'none'",
    );
    expect(allowFormTargets(csp, ['https://a;script-src *', 'https://a b', "'unsafe-inline'", 'null'])).toBe(
      csp,
    );
  });
});
