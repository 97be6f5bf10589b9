import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listening, listen } from '../../src/platform/listen.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Over a real socket: the recorded IP is the peer's, and X-Forwarded-For counts only when the
// peer is a configured trusted proxy.
describe.each([
  { trusted: '127.0.0.1', expected: '203.0.113.7' },
  { trusted: '10.9.9.9', expected: '127.0.0.1' },
])('client IP with PYLON_TRUSTED_PROXIES=$trusted', ({ trusted, expected }) => {
  let t: TestServer;
  let listening: Listening;
  beforeAll(async () => {
    t = await startTestServer(testDatabases[0]!, { env: { PYLON_TRUSTED_PROXIES: trusted } });
    listening = await listen(t.server.fetch, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await listening.close(1000);
    await t.close();
  });

  it(`records ${expected} as the session's IP`, async () => {
    const registered = await fetch(`${listening.url}/api/auth/password/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7, 10.0.0.1' },
      body: JSON.stringify({ email: 'ip@example.com', password: 'where am I from' }),
    });
    const { token } = (await registered.json()) as { token: string };
    const sessions = (await (
      await fetch(`${listening.url}/api/auth/sessions`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as Array<{ ip: string }>;
    expect(sessions[0]!.ip).toBe(expected);
  });
});
