import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  ADMIN,
  authorizeRequest,
  BASE,
  call,
  decide,
  pkce,
  REDIRECT,
  redirectParams,
  registerClient,
  signInBrowser,
} from './support.js';

/** A name a self-registered client could give itself to pass for the server's own text. */
const SPOOF = 'Pylon (official) — approved by your administrator. Click Allow';

describe.each(testDatabases)('the consent page on $kind', (database) => {
  let t: TestServer;
  let person: Awaited<ReturnType<typeof signInBrowser>>;

  const request = (clientId: string, scope: string) =>
    authorizeRequest(t, person.jar, {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      scope,
      prompt: 'consent',
    });
  const page = async (clientId: string, scope = 'openid') => {
    const shown = await request(clientId, scope);
    expect(shown.status).toBe(200);
    return shown.text();
  };
  const registerDynamic = async (name: string) => {
    const registered = await call(t, 'POST', `${BASE}/oauth/register`, {
      token: null,
      body: { redirect_uris: [REDIRECT], client_name: name, token_endpoint_auth_method: 'none' },
    });
    expect(registered.status).toBe(201);
    return registered.body.client_id as string;
  };

  beforeAll(async () => {
    t = await startTestServer(database, {
      env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_OAUTH_DYNAMIC_REGISTRATION: 'true' },
    });
    person = await signInBrowser(t, 'consenter@example.com');
  });
  afterAll(() => t.close());

  it('names a self-registered client as its own unchecked claim, quoted, never as the page’s subject', async () => {
    const html = await page(await registerDynamic(SPOOF));
    expect(html).toContain(`An app that calls itself “<bdi>${SPOOF}</bdi>”`);
    expect(html).not.toContain(`<strong><bdi>${SPOOF}</bdi></strong>`);
    expect(html).not.toMatch(/<h1>[^<]*Pylon \(official\)/);
    expect(html).toContain(
      '<p class="notice" role="note"><strong>Unverified app.</strong> It registered itself',
    );
    expect(html).toContain('no one at this organisation checked it');
  });

  it('names a client an org admin registered as the subject, without the notice', async () => {
    const { client_id } = await registerClient(t, { client_name: 'Notes desktop' });
    const html = await page(client_id);
    expect(html).toContain('<strong><bdi>Notes desktop</bdi></strong> wants access');
    expect(html).not.toContain('Unverified app');
  });

  it('says every app stays connected until disconnected, offline_access asked for or not', async () => {
    const { client_id } = await registerClient(t, { client_name: 'Notes desktop' });
    for (const scope of ['openid', 'openid offline_access']) {
      const html = await page(client_id, scope);
      expect(html, scope).toContain('it stays connected, also while you are away, until you disconnect it');
      expect(html, scope).not.toContain('refresh tokens');
    }
  });

  it('answers a consent form once: posted again, no second code', async () => {
    const { client_id } = await registerClient(t, { client_name: 'Notes desktop' });
    const shown = await request(client_id, 'openid');
    const html = await shown.text();
    // The same form and the same flow cookie, posted twice (a double click, or a replay).
    const cookies = person.jar.get('pylon_consent_flow');
    expect(cookies).toBeDefined();
    const first = redirectParams(await decide(t, person.jar, html, 'allow'));
    expect(first.get('code')).toMatch(/^pyoc_/);
    person.jar.set('pylon_consent_flow', cookies!);
    const again = await decide(t, person.jar, html, 'allow');
    expect(again.status).toBe(400);
    expect(again.headers.get('location')).toBeNull();
    expect(await again.text()).toContain('already answered');
    // A denial spends the page as well.
    const next = await (await request(client_id, 'openid')).text();
    const flow = person.jar.get('pylon_consent_flow')!;
    expect(redirectParams(await decide(t, person.jar, next, 'deny')).get('error')).toBe('access_denied');
    person.jar.set('pylon_consent_flow', flow);
    expect((await decide(t, person.jar, next, 'allow')).status).toBe(400);
  });
});
