import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ipBucket } from '../../src/rate-limit/ip-bucket.js';
import { lockSeconds } from '../../src/rate-limit/lockout.js';
import { gcraHit, RateLimiter, type RateLimitRule } from '../../src/rate-limit/rate-limiter.js';
import { identityLimits } from '../../src/rate-limit/rules.js';
import type { Storage } from '../../src/storage/database.js';
import { type ScratchDatabase, testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const json = (body: unknown) => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
});

describe('ipBucket', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:DB8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    [null, 'unknown'],
  ])('%s counts as %s', (ip, bucket) => {
    expect(ipBucket(ip)).toBe(bucket);
  });

  it('two addresses in one /64 share a bucket; another /64 does not', () => {
    expect(ipBucket('2001:db8:a:b::1')).toBe(ipBucket('2001:db8:a:b:ffff:ffff:ffff:ffff'));
    expect(ipBucket('2001:db8:a:b::1')).not.toBe(ipBucket('2001:db8:a:c::1'));
  });
});

describe('lockSeconds', () => {
  const policy = identityLimits(loadConfig({}).rateLimits).passwordGuesses.lockout;
  it('is free under the threshold, then doubles from one minute, capped at a day', () => {
    expect([1, 4].map((n) => lockSeconds(policy, n))).toEqual([0, 0]);
    expect([5, 6, 7, 8].map((n) => lockSeconds(policy, n))).toEqual([60, 120, 240, 480]);
    expect(lockSeconds(policy, 500)).toBe(24 * 3600);
  });
});

describe.each(testDatabases)('RateLimiter (GCRA) on $kind', (database) => {
  let scratch: ScratchDatabase;
  let first: Storage;
  let second: Storage;
  let limiter: RateLimiter;
  let subject = 0;
  const fresh = () => `subject-${++subject}`;
  const perMinute: RateLimitRule = { name: 'test_minute', limit: 1, windowSeconds: 60 };
  const threePerMinute: RateLimitRule = { name: 'test_three', limit: 3, windowSeconds: 60 };
  // A minute boundary: a fixed window starts here.
  const edge = Date.UTC(2026, 10, 25, 12, 1);

  beforeAll(async () => {
    scratch = await database.create();
    first = await scratch.openMigrated();
    second = scratch.open();
    limiter = new RateLimiter(first.db);
  });
  afterAll(async () => {
    await first.close();
    await second.close();
    await scratch.drop();
  });

  it('one per minute refuses a second hit 28 s later across a fixed-window edge', async () => {
    const who = fresh();
    expect((await limiter.hit(perMinute, who, edge - 14_000)).allowed).toBe(true);
    const refused = await limiter.hit(perMinute, who, edge + 14_000);
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 32 });
    // Refused hits do not push the wait further out.
    expect((await limiter.hit(perMinute, who, edge + 45_000)).allowed).toBe(false);
    expect((await limiter.hit(perMinute, who, edge + 45_999)).retryAfterSeconds).toBe(1);
    expect((await limiter.hit(perMinute, who, edge + 46_000)).allowed).toBe(true);
    expect((await limiter.hit(perMinute, fresh(), edge + 46_000)).allowed).toBe(true);
  });

  it('allows a burst of the limit, then one per window / limit', async () => {
    const who = fresh();
    const at = (offset: number) => limiter.hit(threePerMinute, who, edge + offset);
    for (let i = 0; i < 3; i++) expect((await at(0)).allowed).toBe(true);
    expect(await at(0)).toEqual({ allowed: false, retryAfterSeconds: 20 });
    expect((await at(19_999)).allowed).toBe(false);
    expect((await at(20_000)).allowed).toBe(true);
    expect((await at(20_000)).allowed).toBe(false);
    expect((await at(40_000)).allowed).toBe(true);
  });

  it('the SQL decides as the pure GCRA step does, over an irregular sequence', async () => {
    const who = fresh();
    const rule: RateLimitRule = { name: 'test_seven', limit: 7, windowSeconds: 60 };
    let tat: number | null = null;
    let now = edge;
    for (let i = 0; i < 60; i++) {
      now += [0, 1, 500, 3_000, 8_571, 9_000, 30_000][(i * 5) % 7]!;
      const expected = gcraHit(rule, tat, now);
      tat = expected.tat;
      expect(await limiter.hit(rule, who, now), `hit ${i}`).toEqual({
        allowed: expected.allowed,
        retryAfterSeconds: expected.retryAfterSeconds,
      });
    }
  });

  it('concurrent hits from two connections never exceed the limit', async () => {
    const other = new RateLimiter(second.db);
    const rule: RateLimitRule = { name: 'test_concurrent', limit: 5, windowSeconds: 3600 };
    for (let round = 0; round < 3; round++) {
      const who = fresh();
      const decisions = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? limiter : other).hit(rule, who, edge)),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    }
  });
});

describe('rate limit configuration', () => {
  it('reads each PYLON_RATE_LIMIT_* variable and names a bad one', () => {
    expect(loadConfig({ PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '7' }).rateLimits.signInsPerIPMinute).toBe(
      7,
    );
    expect(() => loadConfig({ PYLON_RATE_LIMIT_GUESTS_PER_IP_MINUTE: '0' })).toThrow(
      'PYLON_RATE_LIMIT_GUESTS_PER_IP_MINUTE',
    );
    expect(() => loadConfig({ PYLON_RATE_LIMIT_CODE_SENDS_PER_HOUR: 'lots' })).toThrow(
      'PYLON_RATE_LIMIT_CODE_SENDS_PER_HOUR',
    );
  });
});

describe.each(testDatabases)('identity rate limits on $kind', (database) => {
  let t: TestServer;
  const call = async (path: string, body: unknown) => {
    const response = await t.request(`/api/auth${path}`, json(body));
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as { error?: { code: string }; dev_code?: string; token?: string },
    };
  };
  beforeAll(async () => {
    t = await startTestServer(database, {
      env: {
        PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '4',
        PYLON_RATE_LIMIT_CODE_VERIFICATIONS_PER_HOUR: '3',
      },
    });
  });
  afterAll(() => t.close());

  it('sign-in requests per IP: the fifth in a minute is refused, whatever the account', async () => {
    for (let i = 0; i < 4; i++)
      expect((await call('/magic/send', { email: `ip${i}@example.com` })).status).toBe(200);
    const refused = await call('/password/login', {
      email: 'someone@example.com',
      password: 'whatever password',
    });
    expect(refused.status).toBe(429);
    expect(refused.body.error?.code).toBe('RATE_LIMITED');
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    t.clock.advance(60_000);
    expect((await call('/magic/send', { email: 'ip9@example.com' })).status).toBe(200);
  });

  it('a password lock doubles: 1 minute after five failures, 2 minutes after the next', async () => {
    t.clock.advance(60_000);
    const email = 'lock@example.com';
    const registered = await t.request(
      '/api/auth/password/register',
      json({ email, password: 'the right password' }),
    );
    expect(registered.status).toBe(200);
    const fail = () => call('/password/login', { email, password: 'the wrong password' });
    for (let i = 0; i < 3; i++) expect((await fail()).status).toBe(401);
    t.clock.advance(60_000); // a fresh per-IP minute; the lockout window is 15 minutes
    for (let i = 0; i < 2; i++) expect((await fail()).status).toBe(401);
    const first = await fail();
    expect(first.status).toBe(429);
    expect(Number(first.retryAfter)).toBe(60);

    t.clock.advance(60_000);
    expect((await fail()).status).toBe(401);
    const second = await call('/password/login', { email, password: 'the right password' });
    expect(second.status).toBe(429);
    expect(Number(second.retryAfter)).toBe(120);

    t.clock.advance(120_000);
    const success = await call('/password/login', { email, password: 'the right password' });
    expect(success.status).toBe(200);
    // A success clears the pair: the count starts again.
    t.clock.advance(60_000);
    expect((await fail()).status).toBe(401);
    expect((await call('/password/login', { email, password: 'the right password' })).status).toBe(200);
  });

  it('code checks per email: past the hourly budget even the right code is refused', async () => {
    t.clock.advance(60_000);
    const email = 'checks@example.com';
    const sent = await call('/magic/send', { email });
    const wrong = sent.body.dev_code === '111111' ? '222222' : '111111';
    t.clock.advance(60_000);
    for (let i = 0; i < 2; i++)
      expect((await call('/magic/verify', { email, code: wrong })).status).toBe(401);
    t.clock.advance(60_000);
    expect((await call('/magic/verify', { email, code: wrong })).status).toBe(401);
    const refused = await call('/magic/verify', { email, code: sent.body.dev_code });
    expect(refused.status).toBe(429);
    expect(refused.body.token).toBeUndefined();
  });
});

describe.each(testDatabases)('password guesses sent at once on $kind', (database) => {
  let t: TestServer;
  const login = (email: string, password: string) =>
    t.request('/api/auth/password/login', json({ email, password })).then((response) => response.status);
  const register = (email: string) =>
    t.request('/api/auth/password/register', json({ email, password: 'the right password' }));
  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '100' } });
  });
  afterAll(() => t.close());

  it('six wrong passwords at once: five are checked, the sixth is refused, the right one next too', async () => {
    const email = 'burst@example.com';
    expect((await register(email)).status).toBe(200);
    const statuses = await Promise.all(
      Array.from({ length: 6 }, (_, i) => login(email, `wrong password ${i}`)),
    );
    expect(statuses.sort()).toEqual([401, 401, 401, 401, 401, 429]);
    expect(await login(email, 'the right password')).toBe(429);
  });

  it('a right password among twelve at once gives back no failure counted after it', async () => {
    const email = 'mixed@example.com';
    expect((await register(email)).status).toBe(200);
    const statuses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        login(email, i === 3 ? 'the right password' : `wrong password ${i}`),
      ),
    );
    // Five are checked per count; the right one, when checked, may reset it before the rest are
    // counted (they then start a count of their own, as they would have after it in sequence).
    const checked = statuses.filter((status) => status === 200 || status === 401).length;
    const resets = statuses.filter((status) => status === 200).length;
    expect(resets).toBeLessThanOrEqual(1);
    expect(checked).toBeLessThanOrEqual(5 * (1 + resets));
    expect(statuses.filter((status) => status === 429).length).toBe(12 - checked);
  });
});
