import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, decodeCursor, InvalidCursorError, queryAudit } from '../../src/audit/audit-log.js';
import { manualClock } from '../../src/clock.js';
import { OrgDirectory } from '../../src/features/orgs/org-directory.js';
import { migrateToLatest, openStorage, type Storage } from '../../src/storage/database.js';
import { isUniqueViolation } from '../../src/storage/errors.js';
import { MIGRATION_NAMES } from '../../src/storage/migrations/index.js';
import { postgresAvailable, type ScratchDatabase, testDatabases } from '../support/databases.js';

// The same cases against every real database: one conformance suite, no mocks.
describe.each(testDatabases)('storage on $kind', (database) => {
  let scratch: ScratchDatabase;
  let storage: Storage;

  beforeAll(async () => {
    scratch = await database.create();
    storage = await scratch.openMigrated();
  });
  afterAll(async () => {
    await storage.close();
    await scratch.drop();
  });

  it('reports its dialect and answers a ping', async () => {
    expect(storage.dialect).toBe(database.kind);
    expect(await storage.ping()).toBe(true);
  });

  it('a second connection opening a migrated database applies nothing', async () => {
    const other = scratch.open();
    try {
      expect(await migrateToLatest(other)).toEqual({ error: undefined, results: [] });
    } finally {
      await other.close();
    }
  });

  it('migrating again applies nothing', async () => {
    const { error, results } = await migrateToLatest(storage);
    expect(error).toBeUndefined();
    expect(results).toEqual([]);
  });

  // PostgreSQL only: in-process SQLite connections share one thread, so one blocked on the write
  // lock (busy_timeout is a synchronous wait) stalls the holder; separate processes do not.
  it.runIf(database.kind === 'postgres')(
    'several processes migrating a fresh database together apply each migration once',
    async () => {
      const fresh = await database.create();
      const processes = [fresh.open(), fresh.open(), fresh.open()];
      try {
        const outcomes = await Promise.all(processes.map((p) => migrateToLatest(p)));
        for (const outcome of outcomes) expect(outcome.error).toBeUndefined();
        const applied = outcomes.flatMap((o) => o.results ?? []).filter((r) => r.status === 'Success');
        expect(applied.map((r) => r.migrationName)).toEqual(MIGRATION_NAMES);
      } finally {
        await Promise.all(processes.map((p) => p.close()));
        await fresh.drop();
      }
    },
  );

  it('a closed storage fails its ping instead of throwing', async () => {
    const other = scratch.open();
    expect(await other.ping()).toBe(true);
    await other.close();
    expect(await other.ping()).toBe(false);
  });

  describe('audit log', () => {
    const org = `audit-${database.kind}`;
    beforeAll(async () => {
      for (let i = 0; i < 25; i++) {
        await appendAudit(storage.db, 1_000 + Math.floor(i / 5), {
          org,
          action: i % 2 === 0 ? 'role.granted' : 'app.registered',
          actor: i % 3 === 0 ? 'admin' : { type: 'user', id: 'usr_alice', email: 'alice@example.com' },
          target: `t${i}`,
          detail: { i },
          ip: '127.0.0.1',
          requestId: `r${i}`,
        });
      }
      await appendAudit(storage.db, 1_000, { org: 'another-org', action: 'role.granted', actor: 'admin' });
    });

    it('pages through one org in (ts, id) order without gaps or repeats', async () => {
      const seen: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await queryAudit(storage.db, { org, limit: 7, ...(cursor ? { cursor } : {}) });
        seen.push(...page.entries.map((e) => e.detail!.i as number));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual([...Array(25).keys()]);
      expect(pages).toBe(4);
    });

    it('filters by action, actor and since, and never leaks another org', async () => {
      const granted = await queryAudit(storage.db, { org, action: 'role.granted' });
      expect(granted.entries.map((e) => e.detail!.i)).toEqual([
        0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24,
      ]);
      const byAdmin = await queryAudit(storage.db, { org, actor: 'admin' });
      expect(byAdmin.entries.every((e) => e.actor === 'admin')).toBe(true);
      expect(byAdmin.entries).toHaveLength(9);
      const recent = await queryAudit(storage.db, { org, since: 1_004 });
      expect(recent.entries.map((e) => e.detail!.i)).toEqual([20, 21, 22, 23, 24]);
      const all = await queryAudit(storage.db, { org, limit: 1000 });
      expect(all.entries.every((e) => e.org === org)).toBe(true);
      expect(all.nextCursor).toBeUndefined();
    });

    it('refuses a person named by email alone, and writes nothing', async () => {
      const before = await queryAudit(storage.db, { org, limit: 1000 });
      for (const actor of [
        'alice@example.com',
        { type: 'user' as const, id: '', email: 'alice@example.com' },
      ]) {
        await expect(
          appendAudit(storage.db, 2_000, { org, action: 'schema.withdrawn', actor, target: 'notes' }),
        ).rejects.toThrow("audit schema.withdrawn: a person's entry needs their user id");
      }
      expect((await queryAudit(storage.db, { org, limit: 1000 })).entries).toEqual(before.entries);
      const byAlice = await queryAudit(storage.db, { org, actorId: 'usr_alice', limit: 1000 });
      expect(byAlice.entries.length).toBe(16);
      expect(byAlice.entries.every((e) => e.actor === 'alice@example.com' && e.actor_type === 'user')).toBe(
        true,
      );
    });

    it('returns entries with their recorded fields', async () => {
      const { entries } = await queryAudit(storage.db, { org, limit: 1 });
      expect(entries[0]).toMatchObject({
        ts: 1_000,
        org,
        action: 'role.granted',
        actor: 'admin',
        target: 't0',
        detail: { i: 0 },
        ip: '127.0.0.1',
        request_id: 'r0',
      });
      expect(typeof entries[0]!.id).toBe('number');
    });

    it('clamps the limit to 1..1000', async () => {
      expect((await queryAudit(storage.db, { org, limit: 0 })).entries).toHaveLength(1);
      expect((await queryAudit(storage.db, { org, limit: 5000 })).entries).toHaveLength(25);
    });

    it('rejects a malformed cursor', async () => {
      await expect(queryAudit(storage.db, { org, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
      expect(() => decodeCursor(Buffer.from('1.2.3').toString('base64url'))).toThrow(InvalidCursorError);
    });

    it('an append inside a rolled-back transaction leaves no entry', async () => {
      await expect(
        storage.db.transaction().execute(async (trx) => {
          await appendAudit(trx, 2_000, { org, action: 'org.created', actor: 'admin' });
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      expect((await queryAudit(storage.db, { org, action: 'org.created' })).entries).toEqual([]);
    });
  });

  it('recognises a unique violation, and only that, from the driver error', async () => {
    await storage.db.insertInto('orgs').values({ id: 'unique-probe', name: 'A', created_at: 1 }).execute();
    const duplicate = await storage.db
      .insertInto('orgs')
      .values({ id: 'unique-probe', name: 'B', created_at: 1 })
      .execute()
      .catch((error: unknown) => error);
    expect(isUniqueViolation(duplicate)).toBe(true);
    const missingColumn = await storage.db
      .insertInto('orgs')
      .values({ id: 'null-name', name: null as unknown as string, created_at: 1 })
      .execute()
      .catch((error: unknown) => error);
    expect(missingColumn).toBeInstanceOf(Error);
    expect(isUniqueViolation(missingColumn)).toBe(false);
    expect(isUniqueViolation(new Error('plain'))).toBe(false);
  });

  describe('orgs', () => {
    it('creating the default org is idempotent across processes', async () => {
      const clock = manualClock();
      const a = new OrgDirectory(storage, clock);
      const other = scratch.open();
      try {
        const b = new OrgDirectory(other, clock);
        await Promise.all([a.ensureDefault('default', 'Default'), b.ensureDefault('default', 'Default')]);
        expect(await a.find('default')).toEqual({ id: 'default', name: 'Default' });
        expect(await b.find('nope')).toBeNull();
      } finally {
        await other.close();
      }
    });

    it('caches look-ups briefly, then sees a new org', async () => {
      const clock = manualClock();
      const directory = new OrgDirectory(storage, clock, 5_000);
      expect(await directory.find('later')).toBeNull();
      await storage.db.insertInto('orgs').values({ id: 'later', name: 'Later', created_at: 1 }).execute();
      expect(await directory.find('later')).toBeNull();
      clock.advance(5_000);
      expect(await directory.find('later')).toEqual({ id: 'later', name: 'Later' });
    });
  });
});

describe('an unreachable database', () => {
  it('fails its ping instead of throwing', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const storage = openStorage({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none' });
    try {
      expect(await storage.ping()).toBe(false);
    } finally {
      await storage.close();
    }
  });
});

describe.each(testDatabases.filter((database) => database.kind === 'postgres'))(
  'the PostgreSQL pool',
  (database) => {
    let scratch: ScratchDatabase;
    beforeAll(async () => {
      scratch = await database.create();
    });
    afterAll(async () => {
      await scratch.drop();
    });

    it('opens no more connections than its size, however many statements wait', async () => {
      const { url } = scratch.config;
      const storage = openStorage({ kind: 'postgres', url, poolSize: 2 });
      try {
        const backends = sql<{
          n: number;
        }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`;
        // Six statements at once, each holding its connection for a moment: two run, four wait.
        const running = Array.from({ length: 6 }, () => sql`select pg_sleep(0.05)`.execute(storage.db));
        await new Promise<void>((resolve) => setImmediate(resolve));
        expect(storage.poolStats()).toMatchObject({ total: 2, waiting: 4 });
        await Promise.all(running);
        expect(storage.poolStats()).toMatchObject({ total: 2, waiting: 0 });
        // Seen from the server: besides the connection asking, the pool's one other.
        expect((await backends.execute(storage.db)).rows[0]!.n).toBe(1);
      } finally {
        await storage.close();
      }
    });
  },
);

it.skipIf(!postgresAvailable)('opens ten PostgreSQL connections at most by default', async () => {
  const database = testDatabases.find((candidate) => candidate.kind === 'postgres')!;
  const scratch = await database.create();
  const storage = scratch.open();
  try {
    await Promise.all(Array.from({ length: 15 }, () => sql`select pg_sleep(0.02)`.execute(storage.db)));
    expect(storage.poolStats()!.total).toBe(10);
  } finally {
    await storage.close();
    await scratch.drop();
  }
});
