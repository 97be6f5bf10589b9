import { createHash } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { pwnedRangeKey, rangeListsSuffix } from '../../src/features/identity/breached-passwords.js';
import { testDatabases } from '../support/databases.js';
import { startTestPwnedPasswords, type TestPwnedPasswords } from '../support/peers/pwned-passwords.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../support/server.js';

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
type Body = Record<string, unknown> & { error?: { code: string; message: string } };

const BREACHED = 'correct horse battery staple';
/** Listed only as padding (count 0): not a breach. */
const PADDED = 'a padded but unbreached passphrase';
const SAFE = 'an unlisted passphrase 42';
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex').toUpperCase();

describe('the Pwned Passwords range key and answer', () => {
  it('sends the first 5 hex of the upper-case SHA-1 and keeps the other 35 (SHA-1("password"))', () => {
    expect(pwnedRangeKey('password')).toEqual({
      prefix: '5BAA6',
      suffix: '1E4C9B93F3F0682250B6CF8331B7EE68FD8',
    });
  });

  it('finds a listed suffix in any case, ignores padding (count 0) and other suffixes', () => {
    const suffix = '1E4C9B93F3F0682250B6CF8331B7EE68FD8';
    expect(
      rangeListsSuffix(`0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n${suffix.toLowerCase()}:3\r\n`, suffix),
    ).toBe(true);
    expect(rangeListsSuffix(`${suffix}:0\r\n0018A45C4D1DEF81644B54AB7F969B88D65:9`, suffix)).toBe(false);
    expect(rangeListsSuffix('0018A45C4D1DEF81644B54AB7F969B88D65:9', suffix)).toBe(false);
    expect(rangeListsSuffix('', suffix)).toBe(false);
  });

  it('config: on by default with the public API, off with PYLON_DISABLE_HIBP=1, a bad URL refused', () => {
    const base = { PYLON_SECRET: TEST_SECRET };
    expect(loadConfig(base).hibpURL).toBe('https://api.pwnedpasswords.com');
    expect(loadConfig({ ...base, PYLON_DISABLE_HIBP: '1' }).hibpURL).toBeNull();
    expect(loadConfig({ ...base, PYLON_HIBP_URL: 'http://127.0.0.1:9/' }).hibpURL).toBe('http://127.0.0.1:9');
    expect(() => loadConfig({ ...base, PYLON_HIBP_URL: 'http://hibp.example.com' })).toThrow(
      /PYLON_HIBP_URL/,
    );
    expect(() => loadConfig({ ...base, PYLON_DISABLE_HIBP: 'maybe' })).toThrow(/PYLON_DISABLE_HIBP/);
  });
});

describe.each(testDatabases)('breached passwords on $kind', (database) => {
  let t: TestServer;
  let hibp: TestPwnedPasswords;
  const logLines: string[] = [];
  let n = 0;
  const fresh = () => `pwned${++n}-${database.kind}@example.com`;
  const call = async (path: string, init?: RequestInit) => {
    const response = await t.request(`/api/auth${path}`, init);
    return { status: response.status, body: (await response.json()) as Body };
  };

  beforeAll(async () => {
    hibp = await startTestPwnedPasswords({ breached: [BREACHED], padded: [PADDED] });
    t = await startTestServer(database, {
      env: { PYLON_DISABLE_HIBP: '0', PYLON_HIBP_URL: hibp.url },
      logger: pino({ level: 'info' }, { write: (line: string) => logLines.push(line) }),
    });
  });
  afterAll(async () => {
    await t.close();
    await hibp.close();
  });
  beforeEach(() => {
    hibp.requests.length = 0;
    hibp.failWith(null);
  });

  it('register: PWNED_PASSWORD, having sent only the 5-character prefix, with Add-Padding', async () => {
    const email = fresh();
    const refused = await call('/password/register', json({ email, password: BREACHED }));
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('PWNED_PASSWORD');
    expect(hibp.requests).toHaveLength(1);
    const [sent] = hibp.requests;
    expect(sent?.method).toBe('GET');
    expect(sent?.url).toBe(`/range/${sha1(BREACHED).slice(0, 5)}`);
    expect(sent?.headers['add-padding']).toBe('true');
    // Nothing but the prefix left: not the rest of the hash, not the password, no body.
    const everything = JSON.stringify(sent);
    expect(everything).not.toContain(sha1(BREACHED).slice(5));
    expect(everything).not.toContain(BREACHED);
    expect(sent?.body).toBe('');
    // No account was made: the same address registers with another password.
    expect((await call('/password/register', json({ email, password: SAFE }))).status).toBe(200);
  });

  it('register: a suffix listed only as padding (count 0) is accepted', async () => {
    const registered = await call('/password/register', json({ email: fresh(), password: PADDED }));
    expect(registered.status).toBe(200);
    expect(hibp.requests).toHaveLength(1);
  });

  it('change: PWNED_PASSWORD, and the current password still works', async () => {
    const email = fresh();
    const { body } = await call('/password/register', json({ email, password: SAFE }));
    const refused = await call(
      '/password/change',
      json({ currentPassword: SAFE, newPassword: BREACHED }, bearer(body.token as string)),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('PWNED_PASSWORD');
    expect((await call('/password/login', json({ email, password: SAFE }))).status).toBe(200);
    expect((await call('/password/login', json({ email, password: BREACHED }))).status).toBe(401);
  });

  it('reset: PWNED_PASSWORD before the token is spent, so the same link then sets a safe password', async () => {
    const email = fresh();
    await call('/password/register', json({ email, password: SAFE }));
    await call('/password/reset/request', json({ email }));
    await t.server.idle();
    const token = /\n\s+([A-Za-z0-9_-]{43})\n/.exec(t.mail.at(-1)?.text ?? '')?.[1];
    expect(t.mail.at(-1)?.to).toBe(email);
    const refused = await call('/password/reset/complete', json({ token, newPassword: BREACHED }));
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('PWNED_PASSWORD');
    const done = await call('/password/reset/complete', json({ token, newPassword: PADDED }));
    expect(done.status).toBe(200);
    expect((await call('/password/login', json({ email, password: PADDED }))).status).toBe(200);
  });

  it('fails open with a log line when the service is down, and the line holds no part of the hash', async () => {
    hibp.failWith(503);
    logLines.length = 0;
    const registered = await call('/password/register', json({ email: fresh(), password: BREACHED }));
    expect(registered.status).toBe(200);
    expect(hibp.requests).toHaveLength(1);
    const warning = logLines.find((line) => line.includes('breached-password check skipped'));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({ level: 40, reason: 'status 503' });
    expect(warning).not.toContain(sha1(BREACHED).slice(0, 5));
  });

  it('fails open when nothing listens at the URL', async () => {
    const gone = await startTestPwnedPasswords({ breached: [BREACHED] });
    await gone.close();
    const offline = await startTestServer(database, {
      env: { PYLON_DISABLE_HIBP: '0', PYLON_HIBP_URL: gone.url },
    });
    try {
      const response = await offline.request(
        '/api/auth/password/register',
        json({ email: fresh(), password: BREACHED }),
      );
      expect(response.status).toBe(200);
    } finally {
      await offline.close();
    }
  });

  it('PYLON_DISABLE_HIBP=1: no request leaves, a listed password is accepted', async () => {
    const off = await startTestServer(database, {
      env: { PYLON_DISABLE_HIBP: '1', PYLON_HIBP_URL: hibp.url },
    });
    try {
      const response = await off.request(
        '/api/auth/password/register',
        json({ email: fresh(), password: BREACHED }),
      );
      expect(response.status).toBe(200);
      expect(hibp.requests).toHaveLength(0);
    } finally {
      await off.close();
    }
  });
});
