import { hashEmail } from '@pylon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secureRandom } from '../../src/crypto/random.js';
import { SessionStore } from '../../src/features/identity/session-store.js';
import { UserStore } from '../../src/features/identity/user-store.js';
import { OrgStore } from '../../src/features/orgs/org-store.js';
import { AppStore } from '../../src/features/rbac/app-store.js';
import { PYLON_APP_ID, PYLON_CAPABILITIES } from '../../src/features/rbac/builtin-schema.js';
import { CapabilityResolver } from '../../src/features/rbac/capabilities.js';
import { GrantStore } from '../../src/features/rbac/grant-store.js';
import { SchemaStore } from '../../src/features/rbac/schema-store.js';
import { CapabilityVersions, EVERY_ORG } from '../../src/storage/capability-versions.js';
import type { DB, Storage } from '../../src/storage/database.js';
import { type ScratchDatabase, testDatabases } from '../support/databases.js';

const ORG = 'acme';
const OTHER = 'other';
const NOW = Date.UTC(2026, 10, 25, 12);

// Every store method that can change what someone holds bumps a capability version in the same
// transaction; a cached answer is only as correct as this list is complete.
describe.each(testDatabases)('capability version bumps on $kind', (database) => {
  let scratch: ScratchDatabase;
  let storage: Storage;
  let versions: CapabilityVersions;
  let orgs: OrgStore;
  let users: UserStore;
  let apps: AppStore;
  let grants: GrantStore;
  let userId: string;
  const emailHash = hashEmail('held@example.com');

  beforeAll(async () => {
    scratch = await database.create();
    storage = await scratch.openMigrated();
    versions = new CapabilityVersions(storage.db);
    orgs = new OrgStore(storage.db, storage.dialect);
    users = new UserStore(storage.db, secureRandom);
    apps = new AppStore(storage.db, storage.dialect, secureRandom);
    grants = new GrantStore(storage.db);
    for (const id of [ORG, OTHER]) await orgs.create(storage.db, { id, name: id, now: NOW });
    userId = (await users.create(storage.db, NOW, { email: 'held@example.com', verified: true })).id;
  });
  afterAll(async () => {
    await storage?.close();
    await scratch?.drop();
  });

  /** Run one change in a transaction; the org's version after it, and the other org's. */
  const change = async (write: (trx: DB) => Promise<unknown>) => {
    const before = { org: await versions.read(ORG), other: await versions.read(OTHER) };
    await storage.db.transaction().execute(write);
    return {
      org: (await versions.read(ORG)) - before.org,
      other: (await versions.read(OTHER)) - before.other,
    };
  };
  const inOrgOnly = { org: 1, other: 0 };
  const everywhere = { org: 1, other: 1 };

  const kinds: Array<[string, (trx: DB) => Promise<unknown>, { org: number; other: number }]> = [
    [
      'app registered',
      (trx) =>
        apps.create(trx, { orgId: ORG, id: 'app', name: 'app', owner: 'o', description: null, now: NOW }),
      inOrgOnly,
    ],
    [
      'schema version made current',
      (trx) => apps.setVersions(trx, ORG, 'app', { current: 1, pending: null }),
      inOrgOnly,
    ],
    [
      'grant',
      (trx) =>
        grants.upsert(trx, {
          orgId: ORG,
          appId: 'app',
          emailHash,
          email: null,
          archetype: 'app:user',
          capabilities: [],
          grantedAt: NOW,
          grantedBy: 'admin',
        }),
      inOrgOnly,
    ],
    ['grant revoked', (trx) => grants.revoke(trx, ORG, 'app', emailHash), inOrgOnly],
    [
      'grants of removed archetypes revoked by an approval',
      (trx) => grants.revokeArchetypesNotIn(trx, ORG, 'app', ['app:admin']),
      inOrgOnly,
    ],
    ['app disabled', (trx) => apps.disable(trx, ORG, 'app'), inOrgOnly],
    ['app re-enabled', (trx) => apps.reenable(trx, ORG, 'app', NOW), inOrgOnly],
    ['member added', (trx) => orgs.addMember(trx, ORG, userId, 'member', NOW), inOrgOnly],
    ['member role changed', (trx) => orgs.setRole(trx, ORG, userId, 'admin'), inOrgOnly],
    ['member removed', (trx) => orgs.removeMember(trx, ORG, userId), inOrgOnly],
    ['user disabled', (trx) => users.setDisabled(trx, userId, NOW), everywhere],
    ['user enabled', (trx) => users.setDisabled(trx, userId, null), everywhere],
    [
      'every membership removed (account deletion)',
      (trx) => orgs.removeAllMemberships(trx, userId),
      everywhere,
    ],
    ['user deleted', (trx) => users.delete(trx, userId), everywhere],
    ['org deleted', (trx) => orgs.delete(trx, ORG), inOrgOnly],
  ];

  it.each(kinds)('%s bumps the version', async (_kind, write, expected) => {
    expect(await change(write)).toEqual(expected);
  });

  it('a store method called outside a transaction still bumps (it opens its own)', async () => {
    const before = await versions.read(OTHER);
    expect(await users.setDisabled(storage.db, 'usr_nobody', NOW)).toBe(false);
    expect(await versions.read(OTHER)).toBe(before + 1);
  });

  it('a change rolled back takes its bump with it', async () => {
    const joiner = await users.create(storage.db, NOW, { email: 'joiner@example.com', verified: true });
    const before = await versions.read(OTHER);
    await expect(
      storage.db.transaction().execute(async (trx) => {
        await orgs.addMember(trx, OTHER, joiner.id, 'member', NOW);
        expect(await versions.read(OTHER, trx)).toBe(before + 1);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await versions.read(OTHER)).toBe(before);
    expect(await orgs.roleOf(OTHER, joiner.id)).toBeNull();
  });

  it('reads 0 before any change, and the deployment counter counts for every org', async () => {
    expect(await versions.read('never-changed')).toBe(
      Number(
        (
          await storage.db
            .selectFrom('capability_versions')
            .select('version')
            .where('org_id', '=', EVERY_ORG)
            .executeTakeFirst()
        )?.version ?? 0,
      ),
    );
  });

  it('the session look-up reads the version of the org it is asked about, in the same statement', async () => {
    const sessions = new SessionStore(storage.db, secureRandom);
    const reader = (await users.create(storage.db, NOW, { email: 'reader@example.com', verified: true })).id;
    const { token } = await sessions.create(NOW, { userId: reader, kind: 'browser', ttlSeconds: 60 });
    const lookUp = async (org: string | null) => {
      const found = await sessions.lookup(token, NOW + 1, org);
      if (found.kind !== 'ok') throw new Error(`expected a live session, got ${found.kind}`);
      return found.session.capabilityVersion;
    };
    expect(await lookUp(OTHER)).toEqual({ orgId: OTHER, version: await versions.read(OTHER) });
    expect(await lookUp('never-changed')).toEqual({
      orgId: 'never-changed',
      version: await versions.read('never-changed'),
    });
    expect(await lookUp(null)).toBeNull();
    // A bump of the org, and one of the deployment counter, both show in the next look-up.
    const before = await versions.read(OTHER);
    await orgs.addMember(storage.db, OTHER, reader, 'member', NOW);
    expect(await lookUp(OTHER)).toEqual({ orgId: OTHER, version: before + 1 });
    await users.setDisabled(storage.db, 'usr_nobody', NOW);
    expect(await lookUp(OTHER)).toEqual({ orgId: OTHER, version: before + 2 });
  });

  /** A resolver of its own, with an empty cache, over the suite's stores. */
  const newResolver = () =>
    new CapabilityResolver(
      new AppStore(storage.db, storage.dialect, secureRandom),
      grants,
      new SchemaStore(storage.db),
      orgs,
      versions,
    );

  it('a resolver checks its cache against a reading of the same org, and reads for any other', async () => {
    const resolver = newResolver();
    const joiner = (await users.create(storage.db, NOW, { email: 'standing@example.com', verified: true }))
      .id;
    const stale = { orgId: OTHER, version: await versions.read(OTHER) };
    expect((await resolver.standing(OTHER, joiner, null, stale)).role).toBeNull();
    await orgs.addMember(storage.db, OTHER, joiner, 'admin', NOW);
    // The reading (taken before the change) is what the request saw: the answer cached under it
    // stands, and no second read is made. A fresh reading, or none, sees the change.
    expect((await resolver.standing(OTHER, joiner, null, stale)).role).toBeNull();
    expect((await resolver.standing(OTHER, joiner, null, { orgId: ORG, version: stale.version })).role).toBe(
      'admin',
    );
    const fresh = { orgId: OTHER, version: await versions.read(OTHER) };
    expect(fresh.version).toBe(stale.version + 1);
    expect((await resolver.standing(OTHER, joiner, null, fresh)).role).toBe('admin');
    expect((await resolver.standing(OTHER, joiner, null)).role).toBe('admin');
  });

  it('caches under the address as given, and finds the grant under its normal form however it is spelt', async () => {
    const resolver = newResolver();
    const caps = async (email: string) => {
      const answer = await resolver.resolve(OTHER, PYLON_APP_ID, { email, userId: null });
      return answer.kind === 'ok' ? answer.caps : answer.kind;
    };
    await grants.upsert(storage.db, {
      orgId: OTHER,
      appId: PYLON_APP_ID,
      emailHash: hashEmail('spelt@example.com'),
      email: 'spelt@example.com',
      archetype: 'pylon-auditor',
      capabilities: [],
      grantedAt: NOW,
      grantedBy: 'admin',
    });
    for (const email of ['spelt@example.com', 'Spelt@Example.COM', ' spelt@example.com ']) {
      expect(await caps(email), email).toEqual([PYLON_CAPABILITIES.auditRead]);
    }
    expect(await caps('other@example.com')).toBe('outsider');
    // Each spelling was cached under its own key; the revoke's bump reaches every one of them.
    await grants.revoke(storage.db, OTHER, PYLON_APP_ID, hashEmail('SPELT@example.com'));
    for (const email of ['spelt@example.com', 'Spelt@Example.COM', ' spelt@example.com ']) {
      expect(await caps(email), email).toBe('outsider');
    }
  });
});
