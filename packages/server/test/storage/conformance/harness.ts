import { afterAll, beforeAll, describe } from 'vitest';
import { secureRandom } from '../../../src/crypto/random.js';
import { UserStore } from '../../../src/features/identity/user-store.js';
import { OrgStore } from '../../../src/features/orgs/org-store.js';
import type { Storage } from '../../../src/storage/database.js';
import { type ScratchDatabase, testDatabases } from '../../support/databases.js';

/** Hands a suite the migrated storage of one real database, opened for it and dropped after. */
export interface Backend {
  kind: 'sqlite' | 'postgres';
  storage(): Storage;
  /**
   * A second connection to the same database, as another process would hold, for races. On
   * SQLite it is the same connection: in-process SQLite connections share one thread, so one
   * blocked on the write lock (busy_timeout waits synchronously) would stall the holder; SQLite's
   * single writer is exercised across real processes by the multi-process tests instead.
   */
  other(): Storage;
}

/**
 * Run one store's conformance suite against every real database (the lucia adapter-test
 * pattern): the same cases, SQLite and PostgreSQL, no mocks. `suite` receives the backend and
 * declares its cases; each database gets a fresh scratch database of its own.
 */
export function onEveryDatabase(store: string, suite: (backend: Backend) => void): void {
  describe.each(testDatabases)(`${store} conformance on $kind`, (database) => {
    let scratch: ScratchDatabase;
    let storage: Storage;
    let other: Storage;
    beforeAll(async () => {
      scratch = await database.create();
      storage = await scratch.openMigrated();
      other = scratch.open();
    });
    afterAll(async () => {
      await other.close();
      await storage.close();
      await scratch.drop();
    });
    suite({
      kind: database.kind,
      storage: () => storage,
      other: () => (database.kind === 'postgres' ? other : storage),
    });
  });
}

/** A unique suffix, so cases sharing one database never collide on keys. */
export function unique(prefix: string): string {
  return `${prefix}${Buffer.from(secureRandom.bytes(6)).toString('hex')}`;
}

/** A user row for the stores whose rows belong to a user (foreign keys). */
export async function seedUser(storage: Storage, email: string | null = null): Promise<string> {
  return (await new UserStore(storage.db, secureRandom).create(storage.db, T0, { email })).id;
}

export const pepper = new Uint8Array(32).fill(7);
export const T0 = Date.UTC(2026, 0, 1);

/** An org row, through its store, for the stores whose rows belong to an org (foreign keys). */
export async function seedOrg(storage: Storage): Promise<string> {
  const id = unique('org-');
  await new OrgStore(storage.db, storage.dialect).create(storage.db, { id, name: 'Org', now: T0 });
  return id;
}
