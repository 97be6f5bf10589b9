import { describe, expect, it } from 'vitest';
import { secureRandom } from '../../../src/crypto/random.js';
import { createSealer } from '../../../src/crypto/seal.js';
import { APIKeyStore } from '../../../src/features/api-keys/api-key-store.js';
import { DeviceStore, POLL_INTERVAL_SECONDS } from '../../../src/features/device/device-store.js';
import { MFAStore } from '../../../src/features/mfa/mfa-store.js';
import { hotp, timeStep } from '../../../src/features/mfa/totp.js';
import { OAuthStateStore } from '../../../src/features/oauth/state-store.js';
import { type LockoutPolicy, Lockouts, lockSeconds } from '../../../src/rate-limit/lockout.js';
import { RateLimiter } from '../../../src/rate-limit/rate-limiter.js';
import type { Storage } from '../../../src/storage/database.js';
import { type Backend, onEveryDatabase, pepper, seedOrg, seedUser, T0, unique } from './harness.js';

const sealer = createSealer('ab'.repeat(32), secureRandom);

export function describeMFAStoreConformance(backend: Backend, makeStore: (storage: Storage) => MFAStore) {
  describe('MFAStore', () => {
    const store = () => makeStore(backend.storage());
    const db = () => backend.storage().db;

    it('a TOTP step is accepted once, racing or not; enrolment is refused once enabled', async () => {
      const userId = await seedUser(backend.storage());
      const secret = (await store().enrol(userId, T0))!;
      expect(await store().factor(userId)).toEqual({ enabled: false });
      await store().confirm(db(), userId, T0);
      expect(await store().isEnabled(userId)).toBe(true);
      expect(await store().enrol(userId, T0)).toBeNull();
      const code = hotp(secret, timeStep(T0));
      expect(await store().acceptTOTP(userId, '000000', T0)).toBe(code === '000000');
      const results = await Promise.all([
        store().acceptSecondFactor(userId, code, T0),
        makeStore(backend.other()).acceptSecondFactor(userId, code, T0),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store().acceptTOTP(userId, code, T0)).toBe(false);
    });

    it('a backup code is spent once; regenerating voids the old set; disable removes all', async () => {
      const userId = await seedUser(backend.storage());
      await store().enrol(userId, T0);
      const codes = await store().regenerateBackupCodes(db(), userId, T0);
      expect(codes).toHaveLength(10);
      const results = await Promise.all([
        store().acceptSecondFactor(userId, codes[0]!.toLowerCase(), T0),
        makeStore(backend.other()).useBackupCode(userId, codes[0]!, T0),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store().useBackupCode(userId, 'not-a-code', T0)).toBe(false);
      const fresh = await store().regenerateBackupCodes(db(), userId, T0);
      expect(await store().useBackupCode(userId, codes[1]!, T0)).toBe(false);
      expect(await store().disable(db(), userId)).toBe(1);
      expect(await store().useBackupCode(userId, fresh[0]!, T0)).toBe(false);
      expect(await store().factor(userId)).toBeNull();
    });

    it('a challenge allows five attempts however many race, expires, and finishes once', async () => {
      const userId = await seedUser(backend.storage());
      const token = await store().createChallenge(db(), {
        userId,
        method: 'password',
        kind: 'browser',
        now: T0,
      });
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? makeStore(backend.other()) : store()).claimChallengeAttempt(token, T0),
        ),
      );
      expect(claims.filter((c) => c !== null)).toHaveLength(5);
      expect(claims.find((c) => c !== null)).toEqual({ userId, method: 'password', kind: 'browser' });
      const late = await store().createChallenge(db(), { userId, method: 'magic', kind: 'cli', now: T0 });
      expect(await store().claimChallengeAttempt(late, T0 + 5 * 60_000)).toBeNull();
      expect(await store().finishChallenge(db(), late)).toBe(true);
      expect(await store().finishChallenge(db(), late)).toBe(false);
    });
  });
}

export function describeAPIKeyStoreConformance(
  backend: Backend,
  makeStore: (storage: Storage) => APIKeyStore,
) {
  describe('APIKeyStore', () => {
    const store = () => makeStore(backend.storage());

    it('checks a key by id and secret, tells expired from invalid, lists, touches and revokes', async () => {
      const userId = await seedUser(backend.storage(), `${unique('k')}@example.com`);
      const { key, record } = await store().create({
        userId,
        name: 'ci',
        scopes: ['read'],
        expiresAt: T0 + 1000,
        now: T0,
      });
      const ok = await store().check(key, T0);
      expect(ok).toMatchObject({
        kind: 'ok',
        owner: { key: { id: record.id, scopes: ['read'] }, emailVerified: false },
      });
      expect(await store().check(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`, T0)).toEqual({
        kind: 'invalid',
      });
      expect(await store().check('pk.nope', T0)).toEqual({ kind: 'invalid' });
      expect(await store().check(key, T0 + 1000)).toEqual({ kind: 'expired' });
      await store().touch([record.id], T0 + 5);
      expect((await store().list(userId))[0]!.lastUsedAt).toBe(T0 + 5);
      expect(await store().revoke('usr_other', record.id)).toBe(false);
      expect(await store().revoke(userId, record.id)).toBe(true);
      expect(await store().check(key, T0)).toEqual({ kind: 'invalid' });
      await store().create({ userId, name: null, scopes: [], expiresAt: null, now: T0 });
      expect(await store().revokeAllOf(backend.storage().db, userId)).toBe(1);
    });
  });
}

export function describeDeviceStoreConformance(
  backend: Backend,
  makeStore: (storage: Storage) => DeviceStore,
) {
  describe('DeviceStore', () => {
    const store = () => makeStore(backend.storage());
    const interval = POLL_INTERVAL_SECONDS * 1000;

    it('pending, slow_down, approval handed out exactly once, then unknown', async () => {
      const orgId = await seedOrg(backend.storage());
      const userId = await seedUser(backend.storage());
      const { deviceCode, userCode } = await store().create({
        client: 'cli',
        orgId,
        now: T0,
        requestedIP: '203.0.113.7',
      });
      expect(await store().findPending(userCode, T0)).toMatchObject({
        client: 'cli',
        orgId,
        status: 'pending',
        createdAt: T0,
        requestedIP: '203.0.113.7',
      });
      expect(await store().poll(deviceCode, orgId, T0)).toEqual({ kind: 'pending' });
      expect(await store().poll(deviceCode, orgId, T0 + 1)).toEqual({ kind: 'slow_down', interval: 10 });
      expect(await store().poll(deviceCode, 'other-org', T0 + interval)).toEqual({ kind: 'unknown' });
      expect(await store().decide(userCode, 'other-org', { approve: true, userId }, T0)).toBeNull();
      expect(await store().decide(userCode, orgId, { approve: true, userId }, T0)).toMatchObject({
        status: 'approved',
      });
      expect(await store().decide(userCode, orgId, { approve: false, userId }, T0)).toBeNull();
      const polls = await Promise.all([
        store().poll(deviceCode, orgId, T0 + 60_000),
        makeStore(backend.other()).poll(deviceCode, orgId, T0 + 60_000),
      ]);
      expect(polls.filter((p) => p.kind === 'approved')).toEqual([
        { kind: 'approved', userId, orgId, client: 'cli' },
      ]);
      expect(await store().poll(deviceCode, orgId, T0 + 120_000)).toEqual({ kind: 'unknown' });
    });

    it('a denial is reported; an expired code is expired and no longer pending', async () => {
      const orgId = await seedOrg(backend.storage());
      const userId = await seedUser(backend.storage());
      const denied = await store().create({ client: 'cli', orgId, now: T0, requestedIP: '203.0.113.7' });
      await store().decide(denied.userCode, orgId, { approve: false, userId }, T0);
      expect(await store().poll(denied.deviceCode, orgId, T0)).toEqual({ kind: 'denied' });
      const late = await store().create({ client: 'cli', orgId, now: T0, requestedIP: '203.0.113.7' });
      const end = T0 + 10 * 60_000;
      expect(await store().findPending(late.userCode, end)).toBeNull();
      expect(await store().poll(late.deviceCode, orgId, end)).toEqual({ kind: 'expired' });
    });
  });
}

export function describeOAuthStateStoreConformance(
  backend: Backend,
  makeStore: (storage: Storage) => OAuthStateStore,
) {
  describe('OAuthStateStore', () => {
    const store = () => makeStore(backend.storage());

    it('a state is consumed once, by its provider only, before it expires', async () => {
      const pending = await store().create({
        provider: 'github',
        callback: '/done',
        now: T0,
        ttlSeconds: 600,
      });
      expect(await store().consume('google', pending.state, T0)).toBeNull();
      const results = await Promise.all([
        store().consume('github', pending.state, T0),
        makeStore(backend.other()).consume('github', pending.state, T0),
      ]);
      const won = results.filter((r) => r !== null);
      expect(won).toHaveLength(1);
      expect(won[0]).toMatchObject({ nonce: pending.nonce, callback: '/done', linkUserId: null });
      const late = await store().create({ provider: 'github', callback: null, now: T0, ttlSeconds: 600 });
      expect(await store().consume('github', late.state, T0 + 600_000)).toBeNull();
    });

    it('a link flow returns the account it was started for', async () => {
      const userId = await seedUser(backend.storage());
      const pending = await store().create({
        provider: 'google',
        callback: null,
        now: T0,
        ttlSeconds: 600,
        linkUserId: userId,
      });
      expect(await makeStore(backend.other()).consume('google', pending.state, T0)).toMatchObject({
        nonce: pending.nonce,
        linkUserId: userId,
      });
    });
  });
}

const policy: LockoutPolicy = {
  name: unique('lock'),
  threshold: 3,
  windowSeconds: 60,
  baseLockSeconds: 10,
  maxLockSeconds: 40,
};

export function describeLimiterConformance(backend: Backend) {
  describe('RateLimiter and Lockouts', () => {
    it('GCRA: limit hits at once, refused hits do not push the wait, then one per interval', async () => {
      const limiter = new RateLimiter(backend.storage().db);
      const rule = { name: unique('rule'), limit: 4, windowSeconds: 60 };
      const racers = [limiter, new RateLimiter(backend.other().db)];
      const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => racers[i % 2]!.hit(rule, 's', T0)));
      expect(burst.filter((d) => d.allowed)).toHaveLength(4);
      expect(await limiter.hit(rule, 's', T0)).toEqual({ allowed: false, retryAfterSeconds: 15 });
      expect(await limiter.hit(rule, 's', T0 + 14_999)).toMatchObject({ allowed: false });
      expect(await limiter.hit(rule, 's', T0 + 15_000)).toMatchObject({ allowed: true });
      expect(await limiter.hit(rule, 'other', T0)).toMatchObject({ allowed: true });
    });

    it('GCRA refund: gives back exactly one allowed hit', async () => {
      const limiter = new RateLimiter(backend.storage().db);
      const rule = { name: unique('rule'), limit: 2, windowSeconds: 60 };
      expect((await limiter.hit(rule, 's', T0)).allowed).toBe(true);
      expect((await limiter.hit(rule, 's', T0)).allowed).toBe(true);
      // A refused hit counts nothing, so it can look without changing what it sees.
      expect((await limiter.hit(rule, 's', T0)).allowed).toBe(false);
      await limiter.refund(rule, 's', T0);
      expect((await limiter.hit(rule, 's', T0)).allowed).toBe(true);
      expect((await limiter.hit(rule, 's', T0)).allowed).toBe(false);
      // A subject never hit has nothing to give back, and stays free.
      await limiter.refund(rule, 'never', T0);
      expect(await limiter.hit(rule, 'never', T0)).toMatchObject({ allowed: true });
    });

    it('lockouts: attempts are counted before they are judged, locked at the threshold, doubling to the cap; clear frees', async () => {
      const lockouts = new Lockouts(backend.storage().db);
      const subject = unique('alice');
      const first = [];
      for (let i = 0; i < 3; i++) first.push(await lockouts.attempt(policy, subject, T0));
      // The third attempt is still judged; the lock it calls for is already there for the fourth.
      expect(first).toEqual([0, 0, 0]);
      expect(await lockouts.lockedFor(policy, subject, T0)).toBe(10);
      // Refused while locked, and not counted: the lock does not grow.
      expect(await lockouts.attempt(policy, subject, T0 + 1_000)).toBe(9);
      expect(await lockouts.lockedFor(policy, subject, T0 + 1_000)).toBe(9);
      // Each attempt after a lock ends, inside the window, doubles it, up to the cap.
      expect(await lockouts.attempt(policy, subject, T0 + 10_000)).toBe(0);
      expect(await lockouts.lockedFor(policy, subject, T0 + 10_000)).toBe(20);
      expect(await lockouts.attempt(policy, subject, T0 + 30_000)).toBe(0);
      expect(await lockouts.lockedFor(policy, subject, T0 + 30_000)).toBe(40);
      expect(await lockouts.attempt(policy, subject, T0 + 70_000)).toBe(0);
      // That one found the window over: the count restarted, nothing is locked.
      expect(await lockouts.lockedFor(policy, subject, T0 + 70_000)).toBe(0);
      expect(await lockouts.lockedFor(policy, unique('bob'), T0)).toBe(0);
      await lockouts.attempt(policy, subject, T0 + 70_000);
      const last = await lockouts.count(policy, subject, T0 + 70_000);
      expect(await lockouts.lockedFor(policy, subject, T0 + 70_000)).toBe(10);
      await lockouts.forgive(policy, subject, last.counted!);
      expect(await lockouts.lockedFor(policy, subject, T0 + 70_000)).toBe(0);
      expect(await lockouts.attempt(policy, subject, T0 + 70_000)).toBe(0);
    });

    it('lockouts: under the threshold nothing is locked, for an attempt whose clock read earlier too', async () => {
      const lockouts = new Lockouts(backend.storage().db);
      const subject = unique('stale');
      // Requests read the clock before their statements run: a later one may be counted first.
      expect(await lockouts.attempt(policy, subject, T0 + 50)).toBe(0);
      expect(await lockouts.attempt(policy, subject, T0)).toBe(0);
      expect(await lockouts.lockedFor(policy, subject, T0)).toBe(0);
      // The third is judged and locks; the lock holds for attempts however stale their clock.
      expect(await lockouts.attempt(policy, subject, T0 + 20)).toBe(0);
      expect(await lockouts.attempt(policy, subject, T0 + 10)).toBeGreaterThan(0);
      expect(await lockouts.lockedFor(policy, subject, T0 + 20)).toBe(10);
    });

    it('racing attempts with clocks read in any order: exactly the threshold of them are judged', async () => {
      const lockouts = [new Lockouts(backend.storage().db), new Lockouts(backend.other().db)];
      const subject = unique('s');
      const answers = await Promise.all(
        [7, 3, 5, 0, 6, 1, 4, 2].map((ms, i) => lockouts[i % 2]!.attempt(policy, subject, T0 + ms)),
      );
      expect(answers.filter((seconds) => seconds === 0)).toHaveLength(policy.threshold);
      expect(answers.filter((seconds) => seconds > 0)).toHaveLength(8 - policy.threshold);
    });

    it('forgiving an attempt forgets the failures only if none was counted after it', async () => {
      const lockouts = new Lockouts(backend.storage().db);
      const subject = unique('forgive');
      const right = await lockouts.count(policy, subject, T0);
      // A racing wrong attempt is counted between the right one's count and its forgiveness…
      expect(await lockouts.attempt(policy, subject, T0)).toBe(0);
      await lockouts.forgive(policy, subject, right.counted!);
      // …so both stay counted: one more failure reaches the threshold.
      expect(await lockouts.attempt(policy, subject, T0)).toBe(0);
      expect(await lockouts.lockedFor(policy, subject, T0)).toBe(10);
      // Nothing counted after it: forgiven, the count starts again.
      const alone = unique('forgive');
      await lockouts.attempt(policy, alone, T0);
      const rightAlone = await lockouts.count(policy, alone, T0);
      await lockouts.forgive(policy, alone, rightAlone.counted!);
      expect(await lockouts.attempt(policy, alone, T0)).toBe(0);
      expect(await lockouts.attempt(policy, alone, T0)).toBe(0);
      expect(await lockouts.lockedFor(policy, alone, T0)).toBe(0);
    });

    it('lockouts: a window ends exactly windowSeconds after it started, not a millisecond sooner', async () => {
      const lockouts = new Lockouts(backend.storage().db);
      const inside = unique('inside');
      const over = unique('over');
      for (const subject of [inside, over]) {
        expect(await lockouts.attempt(policy, subject, T0)).toBe(0);
        expect(await lockouts.attempt(policy, subject, T0)).toBe(0);
      }
      // The third failure a millisecond before the window ends still counts with the first two…
      expect(await lockouts.attempt(policy, inside, T0 + 59_999)).toBe(0);
      expect(await lockouts.lockedFor(policy, inside, T0 + 59_999)).toBe(10);
      // …and at its end the count starts again from one, which locks nothing.
      expect(await lockouts.attempt(policy, over, T0 + 60_000)).toBe(0);
      expect(await lockouts.lockedFor(policy, over, T0 + 60_000)).toBe(0);
    });

    it('the lock each attempt sets is lockSeconds of its count, doubling up to the cap', async () => {
      const long: LockoutPolicy = {
        name: unique('long'),
        threshold: 2,
        windowSeconds: 100_000,
        baseLockSeconds: 1,
        maxLockSeconds: 1000,
      };
      const lockouts = new Lockouts(backend.storage().db);
      const subject = unique('s');
      const seen: number[] = [];
      const expected: number[] = [];
      let now = T0;
      for (let count = 1; count <= 14; count++) {
        expect(await lockouts.attempt(long, subject, now)).toBe(0);
        const locked = await lockouts.lockedFor(long, subject, now);
        seen.push(locked);
        expected.push(lockSeconds(long, count));
        now += locked * 1000; // the next attempt comes as the lock ends
      }
      expect(seen).toEqual(expected);
      expect(seen.slice(-3)).toEqual([1000, 1000, 1000]);
    });

    it('racing attempts on two connections: exactly the threshold of them are judged', async () => {
      const lockouts = [new Lockouts(backend.storage().db), new Lockouts(backend.other().db)];
      const subject = unique('s');
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => lockouts[i % 2]!.attempt(policy, subject, T0)),
      );
      expect(answers.filter((seconds) => seconds === 0)).toHaveLength(policy.threshold);
      expect(answers.filter((seconds) => seconds === 10)).toHaveLength(8 - policy.threshold);
      expect(await lockouts[0]!.lockedFor(policy, subject, T0)).toBe(10);
    });
  });
}

onEveryDatabase('token stores', (backend) => {
  describeMFAStoreConformance(backend, (storage) => new MFAStore(storage.db, secureRandom, sealer, pepper));
  describeAPIKeyStoreConformance(backend, (storage) => new APIKeyStore(storage.db, secureRandom, pepper));
  describeDeviceStoreConformance(backend, (storage) => new DeviceStore(storage.db, secureRandom));
  describeOAuthStateStoreConformance(
    backend,
    (storage) => new OAuthStateStore(storage.db, secureRandom, sealer),
  );
  describeLimiterConformance(backend);
});
