import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ORIGIN = 'https://client.example';

// The answers' CORS headers exactly (the Chromium test, test/e2e/browser/oauth-cors.test.ts, shows
// a browser reading them): any origin, never credentials, and only on the paths marked `cors`.
describe('CORS on the OAuth endpoints and key sets', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(testDatabases[0]!);
  });
  afterAll(() => t.close());

  const preflight = (path: string, method: string) =>
    t.request(path, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': method,
        'access-control-request-headers': 'authorization, content-type',
      },
    });

  it('answers the preflight of each marked path with its methods, at the root and under an org', async () => {
    for (const [path, methods] of [
      ['/o/default/oauth/token', 'POST, OPTIONS'],
      ['/oauth/token', 'POST, OPTIONS'],
      ['/o/default/oauth/userinfo', 'GET, POST, OPTIONS'],
      ['/o/default/oauth/register', 'POST, OPTIONS'],
      ['/.well-known/oauth-authorization-server/o/default', 'GET, OPTIONS'],
      ['/.well-known/pylon-keys', 'GET, OPTIONS'],
    ] as const) {
      const response = await preflight(path, methods.split(',')[0]!);
      expect(response.status, path).toBe(204);
      const named = (name: string) => [name, response.headers.get(name)];
      const listed = Object.fromEntries(
        [
          'access-control-allow-origin',
          'access-control-allow-methods',
          'access-control-allow-headers',
          'access-control-max-age',
        ].map(named),
      );
      expect(listed, path).toEqual({
        'access-control-allow-origin': '*',
        'access-control-allow-methods': methods,
        'access-control-allow-headers': 'Authorization, Content-Type, MCP-Protocol-Version',
        'access-control-max-age': '600',
      });
      expect(response.headers.get('access-control-allow-credentials'), path).toBeNull();
    }
  });

  it('marks answers and refusals alike, and nothing else', async () => {
    const metadata = await t.request('/o/default/.well-known/oauth-authorization-server', {
      headers: { origin: ORIGIN },
    });
    expect(metadata.status).toBe(200);
    expect(metadata.headers.get('access-control-allow-origin')).toBe('*');
    // Refused by the route table (not a form), by the grant, and by the error boundary.
    for (const body of ['{', 'grant_type=authorization_code&code=nope&client_id=nope']) {
      const refused = await t.request('/o/default/oauth/token', {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(refused.headers.get('access-control-allow-origin')).toBe('*');
      expect(refused.headers.get('access-control-expose-headers')).toBe('WWW-Authenticate');
    }
    // Registration is off here: its refusal is readable as well.
    const register = await t.request('/o/default/oauth/register', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(register.status).toBeGreaterThanOrEqual(400);
    expect(register.headers.get('access-control-allow-origin')).toBe('*');

    // Sessions, pages and the consent form are not for other origins.
    for (const path of ['/api/auth/me', '/o/default/oauth/authorize', '/apps']) {
      const answer = await t.request(path, { headers: { origin: ORIGIN } });
      expect(answer.headers.get('access-control-allow-origin'), path).toBeNull();
      const asked = await preflight(path, 'GET');
      expect(asked.headers.get('access-control-allow-origin'), path).toBeNull();
      expect(asked.status, path).not.toBe(204);
    }
  });
});
