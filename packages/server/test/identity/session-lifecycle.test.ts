import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentity } from '../../src/features/identity/identity.js';
import { SessionStore } from '../../src/features/identity/session-store.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const register = (t: TestServer, email: string) =>
  t
    .request('/api/auth/password/register', {
      method: 'POST',
      body: JSON.stringify({ email, password: 'session lifecycle' }),
      headers: { 'content-type': 'application/json' },
    })
    .then(async (response) => ({
      response,
      body: (await response.json()) as { token: string; user_id: string },
    }));

describe.each(testDatabases)('session lifecycle on $kind', (database) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(database);
  });
  afterAll(() => t.close());

  // Read through the store, not GET /sessions: an HTTP read would itself be activity to record.
  const sessions = () => new SessionStore(t.storage.db, t.server.services.random);
  const lastSeen = async (userId: string) => {
    const [session] = await sessions().listForUser(userId, t.clock.now());
    return session!.lastSeenAt;
  };

  it('a read never writes; activity older than a minute is recorded after the response', async () => {
    const { body } = await register(t, 'seen@example.com');
    const created = await lastSeen(body.user_id);
    t.clock.advance(30_000);
    await t.request('/api/auth/me', { headers: { authorization: `Bearer ${body.token}` } });
    await t.server.idle();
    expect(await lastSeen(body.user_id)).toBe(created);
    t.clock.advance(31_000);
    await t.request('/api/auth/me', { headers: { authorization: `Bearer ${body.token}` } });
    await t.server.idle();
    expect(await lastSeen(body.user_id)).toBe(t.clock.now());
  });

  it('expired sessions are swept', async () => {
    const { body } = await register(t, 'swept@example.com');
    const identity = createIdentity(t.server.services);
    t.clock.advance(t.config.sessionTTLSeconds * 1000 + 1);
    expect(await sessions().lookup(body.token, t.clock.now())).toEqual({ kind: 'expired' });
    await identity.activity.flush();
    // Swept: the row is gone, so the token is no longer even an expired one.
    expect(await sessions().lookup(body.token, t.clock.now())).toEqual({ kind: 'unknown' });
  });

  it('sign-out clears the cookie', async () => {
    const { body } = await register(t, 'cookie@example.com');
    const response = await t.request('/api/auth/session', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${body.token}` },
    });
    expect(response.headers.get('set-cookie')).toMatch(/^pylon_session=; Max-Age=0; Path=\//);
  });
});

describe('session cookie attributes', () => {
  it('development on localhost: HttpOnly, SameSite=Lax, no Secure', async () => {
    const t = await startTestServer(testDatabases[0]!);
    try {
      const { response } = await register(t, 'dev-cookie@example.com');
      const cookie = response.headers.get('set-cookie')!;
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      expect(cookie).not.toMatch(/Secure/);
    } finally {
      await t.close();
    }
  });

  it('production: Secure, SameSite and Domain from config', async () => {
    const t = await startTestServer(testDatabases[0]!, {
      env: {
        PYLON_ENV: 'production',
        PYLON_PUBLIC_URL: 'https://auth.example.com',
        PYLON_COOKIE_SAMESITE: 'strict',
        PYLON_COOKIE_DOMAIN: 'example.com',
      },
    });
    try {
      const { response } = await register(t, 'prod-cookie@example.com');
      const cookie = response.headers.get('set-cookie')!;
      expect(cookie).toMatch(/Secure/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect(cookie).toMatch(/Domain=example\.com/);
    } finally {
      await t.close();
    }
  });
});
