import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClientDocument } from '../../src/features/oauth-server/client-document.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  ADMIN,
  authorizeRequest,
  BASE,
  call,
  pkce,
  REDIRECT,
  registerClient,
  signInBrowser,
} from './support.js';

/** Names that would let a client pass for another on the consent page. */
const SPOOFING_NAMES: Record<string, string> = {
  'a right-to-left override': 'Wiki\u202egnp.exe',
  'a zero-width space': 'Wi\u200bki',
  'a newline': 'Wiki\nAllow this application',
  'a line separator': 'Wiki\u2028x',
  'a C1 control': 'Wiki\u0085x',
  'a byte order mark': '\ufeffWiki',
};

/**
 * A client's name is its own claim, shown on the consent page in a sentence with the person's
 * address: every way of registering a client refuses a name with characters that are invisible,
 * reorder the text or break the line, and the page isolates the name and says where the answer
 * goes (the redirect URI's host, which the server checked).
 */
describe.each(testDatabases)('client names on the consent page on $kind', (database) => {
  let t: TestServer;
  let person: Awaited<ReturnType<typeof signInBrowser>>;

  const consentPage = async (clientId: string, redirectURI = REDIRECT) => {
    const page = await authorizeRequest(t, person.jar, {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectURI,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
    expect(page.status).toBe(200);
    return page.text();
  };

  beforeAll(async () => {
    t = await startTestServer(database, {
      env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_OAUTH_DYNAMIC_REGISTRATION: 'true' },
    });
    person = await signInBrowser(t, 'reader@example.com');
  });
  afterAll(() => t.close());

  it('RFC 7591 registration refuses such a name with invalid_client_metadata', async () => {
    for (const [what, name] of Object.entries(SPOOFING_NAMES)) {
      const refused = await call(t, 'POST', `${BASE}/oauth/register`, {
        token: null,
        body: { redirect_uris: [REDIRECT], client_name: name, token_endpoint_auth_method: 'none' },
      });
      expect(refused.status, what).toBe(400);
      expect(refused.body.error, what).toBe('invalid_client_metadata');
      expect(refused.body.error_description, what).toContain('client_name');
    }
    const plain = await call(t, 'POST', `${BASE}/oauth/register`, {
      token: null,
      body: { redirect_uris: [REDIRECT], client_name: 'Notes™ Café', token_endpoint_auth_method: 'none' },
    });
    expect(plain.status).toBe(201);
  });

  it('the admin API (behind the console and the CLI) refuses it with validation_failed', async () => {
    for (const [what, name] of Object.entries(SPOOFING_NAMES)) {
      const refused = await call(t, 'POST', `${BASE}/oauth/clients`, {
        body: { client_name: name, redirect_uris: [REDIRECT] },
      });
      expect(refused.status, what).toBe(400);
      expect(refused.body.error, what).toBe('validation_failed');
      expect(refused.body.message, what).toContain('client_name');
    }
  });

  it('a client metadata document with such a name is refused', () => {
    const url = 'https://wiki.example.com/client.json';
    const parsed = parseClientDocument(url, {
      client_id: url,
      client_name: 'Wiki\u202egnp.exe',
      redirect_uris: ['https://wiki.example.com/callback'],
    });
    expect(parsed).toEqual({ kind: 'refused', reason: expect.stringContaining('client_name') });
  });

  it('shows the name isolated, and where the answer goes, for every client', async () => {
    const loopback = (await registerClient(t, { client_name: 'Wiki' })).client_id;
    // A name stored before names were checked still cannot reach the sentence around it.
    await t.storage.db
      .updateTable('oauth_clients')
      .set({ client_name: 'Wiki\u202egnp.exe' })
      .where('client_id', '=', loopback)
      .execute();
    const page = await consentPage(loopback);
    expect(page).toContain('<strong><bdi>Wiki\u202egnp.exe</bdi></strong>');
    expect(page).toContain(`<strong><bdi>${person.email}</bdi></strong>`);
    expect(page).toContain('you go back to <code>127.0.0.1:7777</code>, an app on this device.');

    const web = 'https://wiki.example.com/oauth/callback';
    const hosted = (await registerClient(t, { client_name: 'Wiki', redirect_uris: [web] })).client_id;
    expect(await consentPage(hosted, web)).toContain('you go back to <code>wiki.example.com</code>.');

    const dynamic = await call(t, 'POST', `${BASE}/oauth/register`, {
      token: null,
      body: { redirect_uris: [web], client_name: 'Wiki', token_endpoint_auth_method: 'none' },
    });
    expect(await consentPage(dynamic.body.client_id as string, web)).toContain(
      'you go back to <code>wiki.example.com</code>.',
    );
  });
});
