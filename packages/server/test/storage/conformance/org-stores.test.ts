import { describe, expect, it } from 'vitest';
import { manualClock } from '../../../src/clock.js';
import { secureRandom } from '../../../src/crypto/random.js';
import { InviteStore } from '../../../src/features/orgs/invite-store.js';
import { OrgDirectory } from '../../../src/features/orgs/org-directory.js';
import { OrgStore } from '../../../src/features/orgs/org-store.js';
import type { Storage } from '../../../src/storage/database.js';
import { isUniqueViolation } from '../../../src/storage/errors.js';
import { type Backend, onEveryDatabase, seedUser, T0, unique } from './harness.js';

export function describeOrgStoreConformance(backend: Backend, makeStore: (storage: Storage) => OrgStore) {
  describe('OrgStore', () => {
    const store = () => makeStore(backend.storage());
    const db = () => backend.storage().db;
    const newOrg = async () => {
      const id = unique('org-');
      await store().create(db(), { id, name: 'Org', now: T0 });
      return id;
    };

    it('creates, finds, refuses a taken id; ensure is idempotent across processes', async () => {
      const id = await newOrg();
      expect(await store().find(id)).toEqual({ id, name: 'Org', createdAt: T0 });
      const again = await store()
        .create(db(), { id, name: 'Other', now: T0 })
        .catch((error: unknown) => error);
      expect(isUniqueViolation(again)).toBe(true);
      const fresh = unique('org-');
      await Promise.all([
        store().ensure({ id: fresh, name: 'A', now: T0 }),
        makeStore(backend.other()).ensure({ id: fresh, name: 'B', now: T0 }),
      ]);
      await store().ensure({ id, name: 'Renamed?', now: T0 + 1 });
      expect((await store().find(id))?.name).toBe('Org');
      expect(await store().find(fresh)).not.toBeNull();
      expect(await store().find('nope')).toBeNull();
    });

    it('members: add, role, list, owners, remove; orgs listed per user', async () => {
      const id = await newOrg();
      const email = `${unique('m')}@example.com`;
      const [owner, member] = [await seedUser(backend.storage(), email), await seedUser(backend.storage())];
      await store().addMember(db(), id, owner, 'owner', T0);
      await store().addMember(db(), id, member, 'member', T0 + 1);
      expect(await store().roleOf(id, member)).toBe('member');
      expect(await store().hasMemberWithRole(id, ['admin'])).toBe(false);
      await store().setRole(db(), id, member, 'admin');
      expect(await store().hasMemberWithRole(id, ['owner', 'admin'])).toBe(true);
      expect(await store().owners(db(), id)).toBe(1);
      expect((await store().members(id)).map((m) => [m.userId, m.email, m.role])).toEqual([
        [owner, email, 'owner'],
        [member, null, 'admin'],
      ]);
      expect(await store().listForUser(owner)).toEqual([{ id, name: 'Org', createdAt: T0, role: 'owner' }]);
      await store().removeMember(db(), id, member);
      expect(await store().roleOf(id, member)).toBeNull();
      const dup = await store()
        .addMember(db(), id, owner, 'member', T0)
        .catch((error: unknown) => error);
      expect(isUniqueViolation(dup)).toBe(true);
    });

    it('lock reads the org inside a transaction; delete removes it with its members', async () => {
      const id = await newOrg();
      const userId = await seedUser(backend.storage());
      await store().addMember(db(), id, userId, 'owner', T0);
      expect(
        await db()
          .transaction()
          .execute((trx) => store().lock(trx, id)),
      ).toMatchObject({ id });
      expect(
        await db()
          .transaction()
          .execute((trx) => store().lock(trx, 'nope')),
      ).toBeNull();
      await db()
        .transaction()
        .execute((trx) => store().delete(trx, id));
      expect(await store().find(id)).toBeNull();
      expect(await store().listForUser(userId)).toEqual([]);
    });

    it('the directory caches look-ups briefly, then sees the change; ensureDefault forgets the entry', async () => {
      const clock = manualClock();
      const directory = new OrgDirectory(backend.storage(), clock, 5_000);
      const id = unique('org-');
      expect(await directory.find(id)).toBeNull();
      await store().create(db(), { id, name: 'Later', now: T0 });
      expect(await directory.find(id)).toBeNull();
      clock.advance(5_000);
      expect(await directory.find(id)).toEqual({ id, name: 'Later' });
      const other = unique('org-');
      expect(await directory.find(other)).toBeNull();
      await directory.ensureDefault(other, 'Default');
      expect(await directory.find(other)).toEqual({ id: other, name: 'Default' });
    });
  });
}

export function describeInviteStoreConformance(
  backend: Backend,
  makeStore: (storage: Storage) => InviteStore,
) {
  describe('InviteStore', () => {
    const store = () => makeStore(backend.storage());
    const db = () => backend.storage().db;
    const setup = async () => {
      const orgId = unique('org-');
      await new OrgStore(db(), backend.kind).create(db(), { id: orgId, name: 'O', now: T0 });
      const inviter = await seedUser(backend.storage());
      return { orgId, inviter };
    };
    const invite = (orgId: string, invitedBy: string, ttlSeconds = 60) =>
      store().create({ orgId, email: 'guest@example.com', role: 'member', invitedBy, now: T0, ttlSeconds });

    it('finds by token only, lists pending until accepted or expired', async () => {
      const { orgId, inviter } = await setup();
      const { token, invite: created } = await invite(orgId, inviter);
      expect(token.startsWith('pyinv_')).toBe(true);
      expect(await store().findByToken(db(), token)).toEqual(created);
      expect(await store().findByToken(db(), `${token}x`)).toBeNull();
      expect((await store().listPending(orgId, T0)).map((i) => i.id)).toEqual([created.id]);
      expect(await store().listPending(orgId, T0 + 60_000)).toEqual([]);
    });

    it('is accepted at most once, however many race', async () => {
      const { orgId, inviter } = await setup();
      const { invite: created } = await invite(orgId, inviter);
      const [a, b] = [await seedUser(backend.storage()), await seedUser(backend.storage())];
      const results = await Promise.all([
        store().markAccepted(db(), created.id, a, T0),
        makeStore(backend.other()).markAccepted(backend.other().db, created.id, b, T0),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store().listPending(orgId, T0)).toEqual([]);
      expect(await store().revoke(orgId, created.id)).toBe(false);
    });

    it('revokes a pending invite of its own org only; an org deletion drops them all', async () => {
      const { orgId, inviter } = await setup();
      const { invite: one } = await invite(orgId, inviter);
      const { invite: two } = await invite(orgId, inviter);
      expect(await store().revoke('other-org', one.id)).toBe(false);
      expect(await store().revoke(orgId, one.id)).toBe(true);
      expect(await store().revoke(orgId, one.id)).toBe(false);
      await store().deleteForOrg(db(), orgId);
      expect(await store().listPending(orgId, T0)).toEqual([]);
      expect(two.id).not.toBe(one.id);
    });

    it('the token is not stored in the clear', async () => {
      const { orgId, inviter } = await setup();
      const { token, invite: created } = await invite(orgId, inviter);
      // A raw read on purpose: what the table holds is exactly what no store method shows.
      const row = await db()
        .selectFrom('org_invites')
        .select('token_hash')
        .where('id', '=', created.id)
        .executeTakeFirstOrThrow();
      expect(row.token_hash).not.toContain(token.slice('pyinv_'.length));
    });
  });
}

onEveryDatabase('org stores', (backend) => {
  describeOrgStoreConformance(backend, (storage) => new OrgStore(storage.db, storage.dialect));
  describeInviteStoreConformance(backend, (storage) => new InviteStore(storage.db, secureRandom));
});
