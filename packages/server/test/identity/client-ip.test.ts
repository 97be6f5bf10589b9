import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forwardedClient } from '../../src/features/identity/route-helpers.js';
import { type Listening, listen } from '../../src/platform/listen.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Over a real socket: the recorded IP is the peer's, and X-Forwarded-For counts only when the
// peer is a configured trusted proxy.
describe.each([
  // Both hops are trusted proxies: the address the first of them received from is the client.
  { trusted: '127.0.0.1,10.0.0.1', expected: '203.0.113.7' },
  // Only the peer is: 10.0.0.1 is what it vouches for; what 10.0.0.1 claimed is not believed.
  { trusted: '127.0.0.1', expected: '10.0.0.1' },
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

describe('forwardedClient', () => {
  const proxies = ['127.0.0.1', '10.0.0.1'];
  it('believes X-Forwarded-For only from a trusted peer, read from the right', () => {
    expect(forwardedClient('198.51.100.1', '203.0.113.7', proxies)).toBe('198.51.100.1');
    expect(forwardedClient('127.0.0.1', '203.0.113.7', proxies)).toBe('203.0.113.7');
    expect(forwardedClient('127.0.0.1', '203.0.113.7, 10.0.0.1', proxies)).toBe('203.0.113.7');
    expect(forwardedClient('127.0.0.1', undefined, proxies)).toBe('127.0.0.1');
    expect(forwardedClient(null, '203.0.113.7', proxies)).toBeNull();
  });

  it('a client behind an appending proxy cannot choose its address by sending the header itself', () => {
    // nginx's $proxy_add_x_forwarded_for: the client's own header, then the address nginx saw.
    expect(forwardedClient('127.0.0.1', '192.0.2.66, 198.51.100.9', proxies)).toBe('198.51.100.9');
    expect(forwardedClient('127.0.0.1', '10.0.0.1, 198.51.100.9', proxies)).toBe('198.51.100.9');
  });

  it('ignores empty entries; a chain of trusted proxies only names its leftmost', () => {
    expect(forwardedClient('127.0.0.1', ' , 203.0.113.7 ,', proxies)).toBe('203.0.113.7');
    expect(forwardedClient('127.0.0.1', '10.0.0.1', proxies)).toBe('10.0.0.1');
    expect(forwardedClient('127.0.0.1', ' ', proxies)).toBe('127.0.0.1');
  });

  it('matches an IPv4 peer of a dual-stack socket (::ffff:a.b.c.d) against its plain address', () => {
    expect(forwardedClient('::ffff:127.0.0.1', '203.0.113.7', proxies)).toBe('203.0.113.7');
    expect(forwardedClient('::ffff:198.51.100.1', '203.0.113.7', proxies)).toBe('198.51.100.1');
    expect(forwardedClient('::1', '203.0.113.7', ['::1'])).toBe('203.0.113.7');
  });
});
