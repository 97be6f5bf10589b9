import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRedirectURI } from '../../src/features/oauth-server/redirect-uri.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { ADMIN, BASE, call } from './support.js';

/**
 * Sent as registered, and the form the URL parser makes of them: a registration must be the URL a
 * browser goes to, since it is stored, shown and compared exactly (RFC 9700 §4.1.3).
 */
const NOT_NORMAL: ReadonlyArray<[string, string | null]> = [
  ['http:/127.0.0.1:1/cb', 'http://127.0.0.1:1/cb'],
  ['HTTP://127.0.0.1:1/cb', 'http://127.0.0.1:1/cb'],
  ['http://0x7f000001/cb', 'http://127.0.0.1/cb'],
  ['https://GOOD.example/cb', 'https://good.example/cb'],
  ['https://good.example:443/cb', 'https://good.example/cb'],
  ['https://good.example/a/../cb', 'https://good.example/cb'],
  // Whitespace and control characters: refused with no suggestion (the parser's is not what was meant).
  [' https://good.example/cb', null],
  ['https://goo\tgle.com/cb', null],
  ['https://good.example/c\r\nSet-Cookie: a=b', null],
  ['https://good.example/cb\u0000', null],
  ['https://good.example/c b', null],
];

describe('redirect URIs are registered in normal form only', () => {
  it.each(NOT_NORMAL)('refuses %j', (sent, normal) => {
    const checked = checkRedirectURI(sent);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    if (normal === null) expect(checked.reason).toMatch(/whitespace or control characters/);
    else expect(checked.reason).toContain(`send ${normal}`);
  });

  it('takes a URI in normal form as sent, and one whose path is empty (RFC 3986 §6.2.3)', () => {
    for (const uri of [
      'https://good.example/cb',
      'https://good.example/cb?x=1',
      'http://127.0.0.1:7777/callback',
      'http://[::1]:7777/callback',
      'http://localhost:7777/cb',
      'https://good.example',
      'https://good.example/',
    ]) {
      expect(checkRedirectURI(uri), uri).toEqual({ ok: true, uri });
    }
  });
});

describe.each(testDatabases)('registering a redirect URI not in normal form, on $kind', (database) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(database, {
      env: {
        PYLON_ADMIN_TOKEN: ADMIN,
        PYLON_OAUTH_DYNAMIC_REGISTRATION: 'true',
        PYLON_RATE_LIMIT_REGISTRATIONS_PER_IP_HOUR: '100',
      },
    });
  });
  afterAll(() => t.close());

  it('is refused by RFC 7591 registration (invalid_redirect_uri) and by an admin, naming the normal form', async () => {
    for (const [sent, normal] of NOT_NORMAL) {
      const body = { client_name: 'App', redirect_uris: ['https://ok.example/cb', sent] };
      const dynamic = await call(t, 'POST', `${BASE}/oauth/register`, { token: null, body });
      expect(dynamic.status, sent).toBe(400);
      expect(dynamic.body.error, sent).toBe('invalid_redirect_uri');
      const admin = await call(t, 'POST', `${BASE}/oauth/clients`, { body });
      expect(admin.status, sent).toBe(400);
      expect(admin.body.error, sent).toBe('invalid_redirect_uri');
      if (normal !== null) {
        expect(dynamic.body.error_description, sent).toContain(`send ${normal}`);
        expect(admin.body.message, sent).toContain(`send ${normal}`);
      }
    }
    const listed = await call(t, 'GET', `${BASE}/oauth/clients`);
    expect(listed.body.clients).toEqual([]);
  });

  it('takes a URI in normal form, or one without a path, and echoes it as sent', async () => {
    const redirect_uris = ['https://app.example/cb', 'https://app.example'];
    const dynamic = await call(t, 'POST', `${BASE}/oauth/register`, { token: null, body: { redirect_uris } });
    expect(dynamic.status).toBe(201);
    expect(dynamic.body.redirect_uris).toEqual(redirect_uris);
  });
});
