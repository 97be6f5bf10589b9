import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConsolePage } from '../../src/features/console/layout.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * A console form posted after the session ended: the sign-in link brings the person back to the
 * page that held the form, never to the form's POST-only route (which a GET would not find).
 */
describe.each(testDatabases)('the console sign-in link after a form post on $kind', (database) => {
  let t: TestServer;
  let origin: string;
  let csrf: string;

  const json = async (path: string, body: unknown, token?: string) => {
    const response = await t.request(`/api/auth${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return (await response.json()) as Record<string, string>;
  };

  /** A form post whose session has ended (the CSRF cookie outlives it), from `referer` if given. */
  const postSignedOut = async (path: string, referer?: string) => {
    const response = await t.request(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin,
        ...(referer ? { referer } : {}),
        cookie: `pylon_session=ended; pylon_console_csrf=${csrf}`,
      },
      body: new URLSearchParams({ csrf, email: 'new@example.com', role: 'member' }).toString(),
    });
    const text = await response.text();
    return { status: response.status, back: /login\?return_to=([^"]+)"/.exec(text)?.[1], text };
  };

  beforeAll(async () => {
    t = await startTestServer(database);
    origin = t.server.services.config.publicURL;
    const sent = await json('/magic/send', { email: 'owner@example.com' });
    const owner = (await json('/magic/verify', { email: 'owner@example.com', code: sent.dev_code })).token!;
    await json('/orgs', { name: 'Acme', id: 'acme' }, owner);
    const page = await t.request('/console/orgs/acme', { headers: { cookie: `pylon_session=${owner}` } });
    csrf = /pylon_console_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')![1]!;
  });
  afterAll(() => t?.close());

  it('names the page that held the form (a same-origin Referer), else the nearest page above the route', async () => {
    const fromPage = await postSignedOut('/console/orgs/acme/invites', `${origin}/console/orgs/acme`);
    expect(fromPage.status).toBe(401);
    expect(fromPage.back).toBe(encodeURIComponent('/console/orgs/acme'));
    // Said to a person, not in the API's words.
    expect(fromPage.text).toContain(
      'You are not signed in, or your sign-in has ended. What you sent was not saved.',
    );
    expect(fromPage.text).not.toContain('bearer token');
    expect(fromPage.text).not.toContain('UNAUTHORIZED');
    // No Referer, one from another site, or one that is no console page (an outcome page).
    for (const referer of [
      undefined,
      'https://elsewhere.example/console/deployment',
      `${origin}/shown/abc`,
    ]) {
      expect((await postSignedOut('/console/orgs/acme/invites', referer)).back, referer).toBe(
        encodeURIComponent('/console/orgs/acme'),
      );
    }
    expect((await postSignedOut('/console/orgs/acme/members/u1/role')).back).toBe(
      encodeURIComponent('/console/orgs/acme'),
    );
    expect((await postSignedOut('/console/orgs/acme/oauth/c1/delete')).back).toBe(
      encodeURIComponent('/console/orgs/acme/oauth'),
    );
    expect((await postSignedOut('/console/orgs/acme/apps/notes/schema/approve')).back).toBe(
      encodeURIComponent('/console/orgs/acme/apps/notes/schema'),
    );
  });

  it('knows every console page, and no form-only route, as a place to come back to', async () => {
    const document = (await (await t.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const consolePaths = Object.entries(document.paths).filter(
      ([path]) => path.startsWith('/console') && !path.startsWith('/console/assets'),
    );
    expect(consolePaths.length).toBeGreaterThan(10);
    for (const [template, methods] of consolePaths) {
      const path = template.replace(/\{[^}]+\}/g, 'x');
      const page = 'get' in methods && !path.endsWith('/stream');
      expect(isConsolePage(path), template).toBe(page);
    }
  });
});
