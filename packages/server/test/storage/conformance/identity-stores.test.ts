import { describe, expect, it } from 'vitest';
import { secureRandom } from '../../../src/crypto/random.js';
import { CodeStore, MAX_CODE_ATTEMPTS } from '../../../src/features/identity/code-store.js';
import { SessionStore } from '../../../src/features/identity/session-store.js';
import { EmailTakenError, UserStore } from '../../../src/features/identity/user-store.js';
import { OrgStore } from '../../../src/features/orgs/org-store.js';
import type { Storage } from '../../../src/storage/database.js';
import { type Backend, onEveryDatabase, pepper, seedUser, T0, unique } from './harness.js';

export function describeUserStoreConformance(backend: Backend, makeStore: (storage: Storage) => UserStore) {
  describe('UserStore', () => {
    const store = () => makeStore(backend.storage());
    const db = () => backend.storage().db;

    it('creates users and finds them by id and by normalised email', async () => {
      const email = `${unique('u')}@example.com`;
      const user = await store().create(db(), T0, { email: email.toUpperCase(), verified: true });
      expect(user).toMatchObject({ email, emailVerifiedAt: T0, isGuest: false, disabledAt: null });
      expect(await store().findById(user.id)).toEqual(user);
      expect(await store().findByEmail(` ${email.toUpperCase()} `)).toEqual(user);
      expect(await store().findById('usr_missing')).toBeNull();
    });

    it('a second account for one email is EmailTakenError, even when both race', async () => {
      const email = `${unique('race')}@example.com`;
      const other = makeStore(backend.other());
      const outcomes = await Promise.allSettled([
        store().create(db(), T0, { email }),
        other.create(backend.other().db, T0, { email }),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const failed = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(failed.reason).toBeInstanceOf(EmailTakenError);
    });

    it('links an outside identity once and finds the account by it', async () => {
      const userId = await seedUser(backend.storage());
      const subject = unique('sub');
      expect(await store().findLinkedUser('github', subject)).toBeNull();
      await store().linkIdentity(db(), { provider: 'github', subject, userId, email: null, now: T0 });
      expect(await store().findLinkedUser('github', subject)).toBe(userId);
      expect(await store().findLinkedUser('google', subject)).toBeNull();
      await expect(
        store().linkIdentity(db(), { provider: 'github', subject, userId, email: null, now: T0 }),
      ).rejects.toThrow();
    });

    it('upgrades a guest once, merges only guests', async () => {
      const guest = await store().create(db(), T0, { email: null, guest: true });
      expect(guest.id.startsWith('guest_')).toBe(true);
      const email = `${unique('g')}@example.com`;
      expect(await store().upgradeGuest(db(), guest.id, email)).toBe(true);
      expect(await store().upgradeGuest(db(), guest.id, email)).toBe(false);
      expect((await store().findById(guest.id))?.isGuest).toBe(false);
      const taken = await store().create(db(), T0, { email: null, guest: true });
      await expect(store().upgradeGuest(db(), taken.id, email)).rejects.toBeInstanceOf(EmailTakenError);
      const real = await seedUser(backend.storage());
      await store().mergeGuest(db(), real);
      expect(await store().findById(real)).not.toBeNull();
      await store().mergeGuest(db(), taken.id);
      expect(await store().findById(taken.id)).toBeNull();
    });

    it('verifies an address once; disables, sets and clears passwords', async () => {
      const userId = await seedUser(backend.storage(), `${unique('v')}@example.com`);
      const [first, second] = await Promise.all([
        store().markEmailVerified(db(), userId, T0),
        makeStore(backend.other()).markEmailVerified(backend.other().db, userId, T0 + 1),
      ]);
      expect([first, second].filter(Boolean)).toHaveLength(1);
      expect(await store().setDisabled(db(), userId, T0)).toBe(true);
      expect((await store().findById(userId))?.disabledAt).toBe(T0);
      expect(await store().setDisabled(db(), 'usr_missing', T0)).toBe(false);
      expect(await store().clearPassword(db(), userId)).toBe(0);
      await store().setPasswordHash(db(), userId, '$argon2id$fake');
      expect((await store().findById(userId))?.passwordHash).toBe('$argon2id$fake');
      expect(await store().clearPassword(db(), userId)).toBe(1);
      expect(await store().clearPassword(db(), userId)).toBe(0);
    });

    it('lists real users by keyset, filtering the email literally', async () => {
      const tag = unique('list');
      const ids: string[] = [];
      for (const local of ['a%b', 'a_b', 'ab']) {
        ids.push((await store().create(db(), T0 + ids.length, { email: `${tag}${local}@example.com` })).id);
      }
      await store().create(db(), T0, { email: null, guest: true });
      expect((await store().list({ emailContains: `${tag}a%b`, limit: 10 })).map((u) => u.id)).toEqual([
        ids[0],
      ]);
      const all = await store().list({ emailContains: tag, limit: 10 });
      expect(all.map((u) => u.id)).toEqual(ids);
      const page = await store().list({ emailContains: tag, limit: 1, after: all[0]! });
      expect(page.map((u) => u.id)).toEqual([ids[1]]);
    });
  });
}

export function describeSessionStoreConformance(
  backend: Backend,
  makeStore: (storage: Storage) => SessionStore,
) {
  describe('SessionStore', () => {
    const store = () => makeStore(backend.storage());
    const ttl = { ttlSeconds: 60 };
    /** The live session a token names, or null when the look-up found none. */
    const resolve = async (token: string, now: number) => {
      const found = await store().lookup(token, now);
      return found.kind === 'ok' ? found.session : null;
    };

    it('resolves by token, with the user and the active-org role; never by an unknown token', async () => {
      const userId = await seedUser(backend.storage(), `${unique('s')}@example.com`);
      const orgId = unique('org-');
      const orgs = new OrgStore(backend.storage().db, backend.kind);
      await orgs.create(backend.storage().db, { id: orgId, name: 'O', now: T0 });
      await orgs.addMember(backend.storage().db, orgId, userId, 'admin', T0);
      const { token, session } = await store().create(T0, {
        userId,
        kind: 'browser',
        activeOrg: orgId,
        device: 'x'.repeat(400),
        ...ttl,
      });
      expect(session.device).toHaveLength(256);
      expect(token.startsWith(session.tokenPrefix)).toBe(true);
      const resolved = await resolve(token, T0 + 1);
      expect(resolved).toMatchObject({ id: session.id, userId, orgRole: 'admin', isGuest: false });
      expect(await resolve(`${token}0`, T0)).toBeNull();
    });

    it('an expired session does not resolve and is told apart from an unknown one, then swept', async () => {
      const userId = await seedUser(backend.storage());
      const { token } = await store().create(T0, { userId, kind: 'cli', ...ttl });
      const end = T0 + 60_000;
      expect((await store().lookup(token, end - 1)).kind).toBe('ok');
      expect(await store().lookup(token, end)).toEqual({ kind: 'expired' });
      expect(await store().lookup('pylon_unknown', end)).toEqual({ kind: 'unknown' });
      expect(await store().listForUser(userId, end)).toEqual([]);
      expect(await store().sweepExpired(end)).toBeGreaterThanOrEqual(1);
      expect(await store().lookup(token, end)).toEqual({ kind: 'unknown' });
    });

    it('a disabled user’s session does not resolve', async () => {
      const userId = await seedUser(backend.storage());
      const { token } = await store().create(T0, { userId, kind: 'browser', ...ttl });
      await new UserStore(backend.storage().db, secureRandom).setDisabled(backend.storage().db, userId, T0);
      expect(await store().lookup(token, T0)).toEqual({ kind: 'unknown' });
      // Once past its expiry it is `expired` like any other: the token is dead either way.
      expect(await store().lookup(token, T0 + 60_000)).toEqual({ kind: 'expired' });
    });

    it('look-ups made together each get their own answer, in shared statements on PostgreSQL', async () => {
      const storage = backend.storage();
      const sessions = store();
      const live = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const userId = await seedUser(storage);
          return { userId, ...(await sessions.create(T0, { userId, kind: 'cli', ...ttl })) };
        }),
      );
      const expired = await sessions.create(T0 - 120_000, { userId: live[0]!.userId, kind: 'cli', ...ttl });
      const revoked = await sessions.create(T0, { userId: live[1]!.userId, kind: 'cli', ...ttl });
      expect(await sessions.revoke(live[1]!.userId, revoked.session.id)).toBe(true);
      const disabledUser = await seedUser(storage);
      const disabled = await sessions.create(T0, { userId: disabledUser, kind: 'cli', ...ttl });
      await new UserStore(storage.db, secureRandom).setDisabled(storage.db, disabledUser, T0);
      const statements: string[] = [];
      storage.observeQueries((event) => statements.push(event.query.sql));
      try {
        // Each live token twice (two requests of one session arriving together), then the dead ones.
        const tokens = [...live, ...live].map((session) => session.token);
        tokens.push(expired.token, revoked.token, disabled.token, 'pylon_unknown');
        const answers = await Promise.all(tokens.map((token) => sessions.lookup(token, T0 + 1)));
        live.forEach((session, index) => {
          expect(answers[index]).toMatchObject({
            kind: 'ok',
            session: { id: session.session.id, userId: session.userId },
          });
          expect(answers[index + live.length]).toEqual(answers[index]);
        });
        expect(answers.slice(2 * live.length)).toEqual([
          { kind: 'expired' },
          { kind: 'unknown' },
          { kind: 'unknown' },
          { kind: 'unknown' },
        ]);
        // PostgreSQL: 20 look-ups in one turn of the event loop share one or two statements.
        if (backend.kind === 'postgres') expect(statements.length).toBeLessThanOrEqual(2);
        // A revocation is seen by the very next look-up, batched or not.
        expect(await sessions.revoke(live[2]!.userId, live[2]!.session.id)).toBe(true);
        const after = await Promise.all(
          [live[2]!.token, live[3]!.token].map((token) => sessions.lookup(token, T0 + 2)),
        );
        expect(after.map((answer) => answer.kind)).toEqual(['unknown', 'ok']);
      } finally {
        storage.observeQueries(() => {});
      }
    });

    it('rotation succeeds once however many race, and the old token dies everywhere', async () => {
      const userId = await seedUser(backend.storage());
      const { token, session } = await store().create(T0, { userId, kind: 'cli', activeOrg: null, ...ttl });
      const next = { ttlSeconds: () => 120, device: 'new', ip: '192.0.2.1' };
      const outcomes = await Promise.all([
        store().rotate(userId, session.id, T0 + 1, next),
        makeStore(backend.other()).rotate(userId, session.id, T0 + 1, next),
      ]);
      const winners = outcomes.filter((o) => o !== null);
      expect(winners).toHaveLength(1);
      expect(winners[0]!.session).toMatchObject({ kind: 'cli', device: 'new', expiresAt: T0 + 1 + 120_000 });
      expect(await resolve(token, T0 + 2)).toBeNull();
      expect(await resolve(winners[0]!.token, T0 + 2)).not.toBeNull();
      expect(await store().rotate('usr_other', winners[0]!.session.id, T0, next)).toBeNull();
    });

    it('revokes one (only the owner’s), all but one, and records activity', async () => {
      const userId = await seedUser(backend.storage());
      const a = await store().create(T0, { userId, kind: 'browser', ...ttl });
      const b = await store().create(T0 + 1, { userId, kind: 'browser', ...ttl });
      const c = await store().create(T0 + 2, { userId, kind: 'browser', ...ttl });
      expect(await store().revoke('usr_other', a.session.id)).toBe(false);
      expect(await store().revoke(userId, a.session.id)).toBe(true);
      expect(await store().revoke(userId, a.session.id)).toBe(false);
      await store().touch([b.session.id], T0 + 500);
      await store().touch([], T0 + 600);
      const listed = await store().listForUser(userId, T0);
      expect(listed.map((s) => s.id)).toEqual([c.session.id, b.session.id]);
      expect(listed[1]!.lastSeenAt).toBe(T0 + 500);
      expect(await store().revokeAll(userId, { except: c.session.id })).toBe(1);
      expect((await store().listForUser(userId, T0)).map((s) => s.id)).toEqual([c.session.id]);
    });

    it('sets and clears the active org, per user or for everyone in it', async () => {
      const [alice, bob] = [await seedUser(backend.storage()), await seedUser(backend.storage())];
      const orgId = unique('org-');
      await new OrgStore(backend.storage().db, backend.kind).create(backend.storage().db, {
        id: orgId,
        name: 'O',
        now: T0,
      });
      const a = await store().create(T0, { userId: alice, kind: 'browser', ...ttl });
      const b = await store().create(T0, { userId: bob, kind: 'browser', activeOrg: orgId, ...ttl });
      await store().setActiveOrg(a.session.id, orgId);
      expect((await resolve(a.token, T0))?.activeOrg).toBe(orgId);
      await store().clearActiveOrg(backend.storage().db, orgId, alice);
      expect((await resolve(a.token, T0))?.activeOrg).toBeNull();
      expect((await resolve(b.token, T0))?.activeOrg).toBe(orgId);
      await store().clearActiveOrg(backend.storage().db, orgId);
      expect((await resolve(b.token, T0))?.activeOrg).toBeNull();
    });
  });
}

export function describeCodeStoreConformance(backend: Backend, makeStore: (storage: Storage) => CodeStore) {
  describe('CodeStore', () => {
    const store = () => makeStore(backend.storage());
    const issue = (email: string, code: string, now = T0) =>
      store().issue({ purpose: 'magic', email, code, now, ttlSeconds: 600 });

    it('a code works once, for its purpose and email only', async () => {
      const email = `${unique('c')}@example.com`;
      await issue(email, '123456');
      expect(await store().consume('verify_email', email, '123456', T0)).toBe('invalid');
      expect(await store().consume('magic', `x${email}`, '123456', T0)).toBe('invalid');
      expect(await store().consume('magic', email, '123456', T0)).toBe('ok');
      expect(await store().consume('magic', email, '123456', T0)).toBe('invalid');
    });

    it('a new code withdraws the earlier one; withdraw stops them all', async () => {
      const email = `${unique('c')}@example.com`;
      await issue(email, '111111');
      await issue(email, '222222', T0 + 1);
      expect(await store().consume('magic', email, '111111', T0 + 2)).toBe('invalid');
      await store().withdraw('magic', email, T0 + 3);
      expect(await store().consume('magic', email, '222222', T0 + 4)).toBe('invalid');
    });

    it('expires', async () => {
      const email = `${unique('c')}@example.com`;
      await issue(email, '333333');
      expect(await store().consume('magic', email, '333333', T0 + 600_000)).toBe('invalid');
    });

    it(`burns after ${MAX_CODE_ATTEMPTS} attempts, even racing, even for the right code`, async () => {
      const email = `${unique('c')}@example.com`;
      await issue(email, '444444');
      const guesses = Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0 ? store() : makeStore(backend.other()),
      );
      const results = await Promise.all(guesses.map((s) => s.consume('magic', email, '000000', T0)));
      expect(results.filter((r) => r === 'invalid')).toHaveLength(MAX_CODE_ATTEMPTS);
      expect(results.filter((r) => r === 'burned')).toHaveLength(12 - MAX_CODE_ATTEMPTS);
      expect(await store().consume('magic', email, '444444', T0)).toBe('burned');
    });

    it('a correct code raced from two processes is accepted once', async () => {
      const email = `${unique('c')}@example.com`;
      await issue(email, '555555');
      const results = await Promise.all([
        store().consume('magic', email, '555555', T0),
        makeStore(backend.other()).consume('magic', email, '555555', T0),
      ]);
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    });

    it('racers who lose to the correct code are told it is no longer valid, not that it burned', async () => {
      const email = `${unique('c')}@example.com`;
      await issue(email, '565656');
      // Every racer reads the live code before any of them consumes it.
      const results = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          (i % 2 === 0 ? store() : makeStore(backend.other())).consume('magic', email, '565656', T0),
        ),
      );
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r === 'invalid')).toHaveLength(3);
      expect(await store().consume('magic', email, '565656', T0)).toBe('invalid');
    });

    it('a long token is consumed once, names its email, and expires', async () => {
      const email = `${unique('t')}@example.com`;
      const token = await store().issueToken({ purpose: 'password_reset', email, now: T0, ttlSeconds: 60 });
      expect(await store().consumeToken('verify_email', token, T0)).toBeNull();
      const [a, b] = await Promise.all([
        store().consumeToken('password_reset', token, T0),
        makeStore(backend.other()).consumeToken('password_reset', token, T0),
      ]);
      expect([a, b].filter((x) => x === email)).toHaveLength(1);
      const late = await store().issueToken({ purpose: 'password_reset', email, now: T0, ttlSeconds: 60 });
      expect(await store().consumeToken('password_reset', late, T0 + 60_000)).toBeNull();
    });

    it('the code is not stored in the clear', async () => {
      const email = `${unique('c')}@example.com`;
      await issue(email, '654321');
      // A raw read on purpose: the point is what the table holds, which no store method shows.
      const rows = await backend
        .storage()
        .db.selectFrom('one_time_codes')
        .select('code_hash')
        .where('email', '=', email)
        .execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.code_hash).not.toContain('654321');
    });
  });
}

onEveryDatabase('identity stores', (backend) => {
  describeUserStoreConformance(backend, (storage) => new UserStore(storage.db, secureRandom));
  describeSessionStoreConformance(backend, (storage) => new SessionStore(storage.db, secureRandom));
  describeCodeStoreConformance(backend, (storage) => new CodeStore(storage.db, secureRandom, pepper));
});
