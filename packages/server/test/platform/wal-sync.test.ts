import { mkdtempSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/platform/sqlite.js';
import { groupSync, type WalFile, walFile } from '../../src/platform/wal-sync.js';

/** A sync whose every call waits until the test settles it, in call order. */
function controlledSync() {
  const calls: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const sync = () =>
    new Promise<void>((resolve, reject) => {
      calls.push({ resolve, reject });
    });
  return { calls, sync };
}

/** Let every queued promise reaction run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether `promise` has settled so far: 'ok', 'failed' or 'pending'. */
function tracked(promise: Promise<unknown>) {
  const state = { value: 'pending' as 'pending' | 'ok' | 'failed' };
  promise.then(
    () => {
      state.value = 'ok';
    },
    () => {
      state.value = 'failed';
    },
  );
  return state;
}

describe('groupSync', () => {
  it('starts a sync for the first caller and a single next one for everyone who came while it ran', async () => {
    const { calls, sync } = controlledSync();
    const durable = groupSync(sync).sync;
    const first = tracked(durable());
    expect(calls).toHaveLength(1);
    const second = tracked(durable());
    const third = tracked(durable());
    await settle();
    // The running sync may have started before their writes: they wait for the next one.
    expect(calls).toHaveLength(1);
    calls[0]!.resolve();
    await settle();
    expect(first.value).toBe('ok');
    expect(second.value).toBe('pending');
    expect(third.value).toBe('pending');
    expect(calls).toHaveLength(2);
    calls[1]!.resolve();
    await settle();
    expect([second.value, third.value]).toEqual(['ok', 'ok']);
    // Idle again: the next caller starts its own.
    const fourth = tracked(durable());
    expect(calls).toHaveLength(3);
    calls[2]!.resolve();
    await settle();
    expect(fourth.value).toBe('ok');
  });

  it('a failed sync rejects only the callers it was for, and the next caller tries again', async () => {
    const { calls, sync } = controlledSync();
    const durable = groupSync(sync).sync;
    const first = tracked(durable());
    const second = tracked(durable());
    calls[0]!.reject(new Error('EIO'));
    await settle();
    expect(first.value).toBe('failed');
    // The next sync starts after the failed one and is the second caller's.
    expect(calls).toHaveLength(2);
    expect(second.value).toBe('pending');
    calls[1]!.resolve();
    await settle();
    expect(second.value).toBe('ok');
    const third = tracked(durable());
    calls[2]!.reject(new Error('EIO'));
    await settle();
    expect(third.value).toBe('failed');
    const fourth = tracked(durable());
    expect(calls).toHaveLength(4);
    calls[3]!.resolve();
    await settle();
    expect(fourth.value).toBe('ok');
  });
});

describe('groupSync settled', () => {
  it('waits for the running sync and the one queued behind it', async () => {
    const { calls, sync } = controlledSync();
    const group = groupSync(sync);
    const idle = tracked(group.settled());
    await settle();
    expect(idle.value).toBe('ok');
    void group.sync();
    void group.sync().catch(() => undefined);
    const settled = tracked(group.settled());
    calls[0]!.resolve();
    await settle();
    expect(settled.value).toBe('pending');
    calls[1]!.reject(new Error('EIO'));
    await settle();
    expect(settled.value).toBe('ok');
  });
});

/** A SQLite storage on a file whose WAL syncs the test settles by hand. */
function storageWithHeldSyncs() {
  const { calls, sync } = controlledSync();
  const wal: WalFile = { sync, close: async () => undefined };
  const path = join(mkdtempSync(join(tmpdir(), 'pylon-wal-')), 'test.db');
  // No checkpoint worker: these tests settle every asynchronous step by hand (its own tests are
  // wal-checkpoint.test.ts).
  const checkpointer = () => ({
    wrote: () => undefined,
    checkpoint: async () => undefined,
    stats: { checkpoints: 0, failed: 0 },
    close: async () => undefined,
  });
  const db = new Kysely<{ t: { a: number } }>({ dialect: openSqlite(path, { wal, checkpointer }).dialect });
  /** Create the table, letting its own sync (a schema change is a write too) finish. */
  const createTable = async () => {
    const create = db.schema.createTable('t').addColumn('a', 'integer').execute();
    await settle();
    calls[0]!.resolve();
    await create;
  };
  return { calls, db, createTable };
}

describe('SQLite commits wait for the WAL fsync, off the connection', () => {
  it('a write resolves only once a sync that started after it has finished', async () => {
    const { calls, db, createTable } = storageWithHeldSyncs();
    await createTable();
    const insert = tracked(db.insertInto('t').values({ a: 1 }).execute());
    await settle();
    expect(insert.value).toBe('pending');
    expect(calls).toHaveLength(2);
    // The connection is free while the write waits: a read runs, sees the row, and needs no sync.
    expect(await db.selectFrom('t').selectAll().execute()).toEqual([{ a: 1 }]);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve();
    await settle();
    expect(insert.value).toBe('ok');
    await db.destroy();
  });

  it('a transaction waits once, after its commit; one that changed nothing does not wait', async () => {
    const { calls, db, createTable } = storageWithHeldSyncs();
    await createTable();
    const written = tracked(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ a: 1 }).execute();
        await trx.insertInto('t').values({ a: 2 }).execute();
        expect(calls).toHaveLength(1);
      }),
    );
    await settle();
    expect(calls).toHaveLength(2);
    expect(written.value).toBe('pending');
    calls[1]!.resolve();
    await settle();
    expect(written.value).toBe('ok');
    // `begin immediate` takes the write lock but changes nothing.
    const rows = await db.transaction().execute((trx) => trx.selectFrom('t').selectAll().execute());
    expect(rows).toHaveLength(2);
    expect(calls).toHaveLength(2);
    await db.destroy();
  });

  it('closing the storage waits for the syncs of the writes already committed', async () => {
    const { calls, db, createTable } = storageWithHeldSyncs();
    await createTable();
    const first = db.insertInto('t').values({ a: 1 }).execute();
    await settle();
    const second = db.insertInto('t').values({ a: 2 }).execute();
    await settle();
    const closed = tracked(db.destroy());
    calls[1]!.resolve();
    await settle();
    // The second write's sync starts only after the first: closing waits for it too.
    expect(closed.value).toBe('pending');
    calls[2]!.resolve();
    await Promise.all([first, second]);
    await settle();
    expect(closed.value).toBe('ok');
  });

  it('a failed sync fails the write it was for: nothing is acknowledged that may not be on disk', async () => {
    const { calls, db, createTable } = storageWithHeldSyncs();
    await createTable();
    const insert = db.insertInto('t').values({ a: 1 }).execute();
    await settle();
    calls[1]!.reject(new Error('EIO: i/o error'));
    await expect(insert).rejects.toThrow('EIO');
    await db.destroy();
  });
});

describe('walFile', () => {
  const descriptorsTo = (target: string) =>
    readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        const link = readlinkSync(`/proc/self/fd/${fd}`);
        return link.startsWith(target) ? [link] : [];
      } catch {
        return [];
      }
    });

  it('fsyncs the live WAL, and follows it when the file was replaced', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pylon-wal-')), 'test.db');
    const first = new BetterSqlite3(path);
    first.pragma('journal_mode = WAL');
    first.exec('create table t (a integer)');
    const wal = walFile(path);
    await wal.sync();
    // The last connection's close checkpoints and deletes the WAL; a new one writes a new file.
    first.close();
    const second = new BetterSqlite3(path);
    second.exec('insert into t values (1)');
    await wal.sync();
    if (process.platform === 'linux') {
      const held = descriptorsTo(`${path}-wal`);
      expect(held.some((link) => link.endsWith('(deleted)'))).toBe(false);
    }
    await wal.close();
    second.close();
  });

  it('rejects when there is no WAL to make durable', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pylon-wal-')), 'missing.db');
    await expect(walFile(path).sync()).rejects.toThrow(/ENOENT/);
  });
});
