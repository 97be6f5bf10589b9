import { describe, expect, it } from 'vitest';
import { secureRandom } from '../../../src/crypto/random.js';
import { AppStore } from '../../../src/features/rbac/app-store.js';
import { BootstrapClaimStore } from '../../../src/features/rbac/bootstrap-store.js';
import { type Grant, GrantStore } from '../../../src/features/rbac/grant-store.js';
import type { StoredSchema } from '../../../src/features/rbac/schema-input.js';
import { SchemaStore } from '../../../src/features/rbac/schema-store.js';
import type { Storage } from '../../../src/storage/database.js';
import { isUniqueViolation } from '../../../src/storage/errors.js';
import { type Backend, onEveryDatabase, seedOrg, T0, unique } from './harness.js';

/** An org with these apps registered (grants and schema versions belong to an app). */
async function seedApps(backend: Backend, ...appIds: string[]): Promise<string> {
  const storage = backend.storage();
  const orgId = await seedOrg(storage);
  const apps = new AppStore(storage.db, storage.dialect, secureRandom);
  for (const id of appIds) {
    await apps.create(storage.db, { orgId, id, name: id, owner: 'o', description: null, now: T0 });
  }
  return orgId;
}

const grant = (orgId: string, appId: string, over: Partial<Grant> = {}): Grant => ({
  orgId,
  appId,
  emailHash: 'a'.repeat(64),
  email: 'a@example.com',
  archetype: 'viewer',
  capabilities: ['extra'],
  grantedAt: T0,
  grantedBy: 'admin',
  ...over,
});

export function describeAppStoreConformance(backend: Backend, makeStore: (storage: Storage) => AppStore) {
  describe('AppStore', () => {
    const store = () => makeStore(backend.storage());
    const db = () => backend.storage().db;
    const register = async () => {
      const orgId = await seedOrg(backend.storage());
      const appId = unique('app-');
      const token = await store().create(db(), {
        orgId,
        id: appId,
        name: 'App',
        owner: 'o@example.com',
        description: null,
        now: T0,
      });
      return { orgId, appId, token };
    };

    it('registers, finds by id and by token only, lists, locks', async () => {
      const { orgId, appId, token } = await register();
      expect(await store().find(orgId, appId)).toMatchObject({ status: 'active', current_version: null });
      expect(await store().findByToken(orgId, appId, token)).not.toBeNull();
      expect(await store().findByToken(orgId, appId, `${token}x`)).toBeNull();
      expect((await store().list(orgId)).map((app) => app.id)).toEqual([appId]);
      expect(
        await db()
          .transaction()
          .execute((trx) => store().lock(trx, orgId, appId)),
      ).toMatchObject({
        id: appId,
      });
    });

    it('a rotated token replaces the old one at once', async () => {
      const { orgId, appId, token } = await register();
      const next = await store().rotateToken(db(), orgId, appId, T0 + 1);
      expect(next).not.toBeNull();
      expect(await store().findByToken(orgId, appId, token)).toBeNull();
      expect(await store().findByToken(orgId, appId, next!)).toMatchObject({ token_rotated_at: T0 + 1 });
      expect(await store().rotateToken(db(), orgId, 'missing', T0)).toBeNull();
    });

    it('re-enables only a disabled app, once however many race', async () => {
      const { orgId, appId } = await register();
      expect(await store().reenable(db(), orgId, appId, T0)).toBeNull();
      expect(await store().disable(db(), orgId, appId)).toBe(true);
      const tokens = await Promise.all([
        store().reenable(db(), orgId, appId, T0 + 1),
        makeStore(backend.other()).reenable(backend.other().db, orgId, appId, T0 + 1),
      ]);
      expect(tokens.filter((t) => t !== null)).toHaveLength(1);
      expect((await store().find(orgId, appId))?.status).toBe('active');
    });

    it('accessFor: the app with the subject’s grant in one read; unknown and disabled apps told apart', async () => {
      const { orgId, appId } = await register();
      const grants = new GrantStore(db());
      expect(await store().accessFor(orgId, 'missing', 'a'.repeat(64))).toBeNull();
      expect(await store().accessFor(orgId, appId, 'a'.repeat(64))).toEqual({
        status: 'active',
        currentVersion: null,
        archetype: null,
        capabilities: [],
      });
      await store().setVersions(db(), orgId, appId, { current: 2, pending: 3 });
      await grants.upsert(db(), grant(orgId, appId));
      expect(await store().accessFor(orgId, appId, 'a'.repeat(64))).toEqual({
        status: 'active',
        currentVersion: 2,
        archetype: 'viewer',
        capabilities: ['extra'],
      });
      expect((await store().accessFor(orgId, appId, 'b'.repeat(64)))?.archetype).toBeNull();
      await store().disable(db(), orgId, appId);
      expect((await store().accessFor(orgId, appId, 'a'.repeat(64)))?.status).toBe('disabled');
    });
  });
}

export function describeGrantStoreConformance(backend: Backend, makeStore: (storage: Storage) => GrantStore) {
  describe('GrantStore', () => {
    const store = () => makeStore(backend.storage());
    const db = () => backend.storage().db;

    it('upserts one grant per (org, app, email hash), keeping a known email, even when racing', async () => {
      const orgId = await seedApps(backend, 'app');
      await Promise.all([
        store().upsert(db(), grant(orgId, 'app', { archetype: 'viewer' })),
        makeStore(backend.other()).upsert(backend.other().db, grant(orgId, 'app', { archetype: 'editor' })),
      ]);
      expect(await store().list(orgId)).toHaveLength(1);
      await store().upsert(db(), grant(orgId, 'app', { email: null, archetype: 'admin', capabilities: [] }));
      expect(await store().find(orgId, 'app', 'a'.repeat(64))).toMatchObject({
        email: 'a@example.com',
        archetype: 'admin',
        capabilities: [],
      });
      expect(await store().find(orgId, 'other', 'a'.repeat(64))).toBeNull();
    });

    it('lists per app, answers anyHolds, revokes one and by archetype', async () => {
      const orgId = await seedApps(backend, 'one', 'two');
      await store().upsert(db(), grant(orgId, 'one', { archetype: 'admin' }));
      await store().upsert(db(), grant(orgId, 'two', { emailHash: 'b'.repeat(64), archetype: 'viewer' }));
      await store().upsert(db(), grant(orgId, 'two', { emailHash: 'c'.repeat(64), archetype: 'editor' }));
      expect((await store().list(orgId, 'two')).map((g) => g.emailHash)).toEqual([
        'b'.repeat(64),
        'c'.repeat(64),
      ]);
      expect(await store().anyHolds(orgId, 'one', 'admin')).toBe(true);
      expect(await store().anyHolds(orgId, 'two', 'admin')).toBe(false);
      expect((await store().revoke(db(), orgId, 'one', 'a'.repeat(64)))?.archetype).toBe('admin');
      expect(await store().revoke(db(), orgId, 'one', 'a'.repeat(64))).toBeNull();
      const dropped = await store().revokeArchetypesNotIn(db(), orgId, 'two', ['viewer']);
      expect(dropped.map((g) => g.archetype)).toEqual(['editor']);
      expect(await store().revokeArchetypesNotIn(db(), orgId, 'two', [])).toHaveLength(1);
      expect(await store().list(orgId)).toEqual([]);
    });
  });
}

export function describeSchemaStoreConformance(
  backend: Backend,
  makeStore: (storage: Storage) => SchemaStore,
) {
  describe('SchemaStore', () => {
    const store = () => makeStore(backend.storage());
    const db = () => backend.storage().db;
    const version = (n: number) => ({
      version: n,
      versionTag: `v${n}`,
      prepared: { capabilities: [{ name: 'read' }, { name: 'write' }] } as unknown as StoredSchema,
      expanded: { viewer: ['read'], editor: ['read', 'write'] },
      pushedBy: 'ci',
      pushedAt: T0 + n,
    });

    it('numbers versions, refuses a duplicate, gets and lists them', async () => {
      const orgId = await seedApps(backend, 'app');
      expect(await store().nextVersion(db(), orgId, 'app')).toBe(1);
      await store().insert(db(), orgId, 'app', version(1));
      await store().insert(db(), orgId, 'app', version(2));
      expect(await store().nextVersion(db(), orgId, 'app')).toBe(3);
      const dup = await store()
        .insert(db(), orgId, 'app', version(2))
        .catch((error: unknown) => error);
      expect(isUniqueViolation(dup)).toBe(true);
      expect(await store().get(orgId, 'app', 2)).toEqual(version(2));
      expect(await store().get(orgId, 'app', 9)).toBeNull();
      expect((await store().list(orgId, 'app')).map((v) => v.version)).toEqual([1, 2]);
    });

    it('loads a version’s capability set and expansion, and keeps it', async () => {
      const orgId = await seedApps(backend, 'app');
      const schemas = store();
      expect(await schemas.load(orgId, 'app', 1)).toBeNull();
      await schemas.insert(db(), orgId, 'app', version(1));
      const loaded = await schemas.load(orgId, 'app', 1);
      expect([...loaded!.capabilities]).toEqual(['read', 'write']);
      expect(loaded!.archetypes.get('editor')).toEqual(['read', 'write']);
      expect(await schemas.load(orgId, 'app', 1)).toBe(loaded);
    });
  });
}

export function describeBootstrapClaimStoreConformance(
  backend: Backend,
  makeStore: (storage: Storage) => BootstrapClaimStore,
) {
  describe('BootstrapClaimStore', () => {
    it('an org is claimed once, however many race', async () => {
      const orgId = await seedOrg(backend.storage());
      const store = makeStore(backend.storage());
      expect(await store.isClaimed(orgId)).toBe(false);
      const outcomes = await Promise.allSettled([
        store.claim(backend.storage().db, { orgId, email: 'a@example.com', now: T0 }),
        makeStore(backend.other()).claim(backend.other().db, { orgId, email: 'b@example.com', now: T0 }),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const failed = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(isUniqueViolation(failed.reason)).toBe(true);
      expect(await store.isClaimed(orgId)).toBe(true);
    });
  });
}

onEveryDatabase('rbac stores', (backend) => {
  describeAppStoreConformance(backend, (storage) => new AppStore(storage.db, storage.dialect, secureRandom));
  describeGrantStoreConformance(backend, (storage) => new GrantStore(storage.db));
  describeSchemaStoreConformance(backend, (storage) => new SchemaStore(storage.db));
  describeBootstrapClaimStoreConformance(backend, (storage) => new BootstrapClaimStore(storage.db));
});
