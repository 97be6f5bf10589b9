import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { BACKSTOP_CHECKPOINT_PAGES, openSqlite } from '../../src/platform/sqlite.js';
import {
  CHECK_TURNS,
  CHECKPOINT_PAGES,
  type WalCheckpointer,
  walCheckpointer,
} from '../../src/platform/wal-checkpoint.js';

const PAGE = 4096;
/** SQLite's own automatic checkpoint threshold, in pages (https://sqlite.org/pragma.html#pragma_wal_autocheckpoint). */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;
const TURNS = 2000;

type Tables = { t: { id: number; body: string } };

/** The test table. */
async function createTable(db: Kysely<Tables>): Promise<void> {
  await db.schema
    .createTable('t')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('body', 'text')
    .execute();
}

/** `TURNS` write transactions of one ~2 KiB row each (~3 pages), every one its own commit. */
async function writeTurns(db: Kysely<Tables>): Promise<void> {
  await createTable(db);
  for (let id = 0; id < TURNS; id++) {
    await db
      .insertInto('t')
      .values({ id, body: 'x'.repeat(2048) })
      .execute();
  }
}

/** Write turn number `turn` of thirty ~2 KiB rows in one transaction: ~33 pages. */
async function writeLargeTurn(db: Kysely<Tables>, turn: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (let row = 0; row < 30; row++) {
      await trx
        .insertInto('t')
        .values({ id: turn * 30 + row, body: 'x'.repeat(2048) })
        .execute();
    }
  });
}

const walBytes = (path: string) => statSync(`${path}-wal`).size;
const scratch = () => join(mkdtempSync(join(tmpdir(), 'pylon-checkpoint-')), 'pylon.db');

describe('WAL checkpoints off the event loop', () => {
  it('the worker checkpoints, so the WAL is reused instead of growing with every commit', async () => {
    const path = scratch();
    const sqlite = openSqlite(path);
    const db = new Kysely<Tables>({ dialect: sqlite.dialect });
    let wal: number;
    try {
      await writeTurns(db);
      wal = walBytes(path);
      expect(
        await db
          .selectFrom('t')
          .select((e) => e.fn.countAll().as('n'))
          .executeTakeFirstOrThrow(),
      ).toEqual({
        n: TURNS,
      });
    } finally {
      // Closing waits for a checkpoint still in flight.
      await db.destroy();
    }
    expect(sqlite.checkpointer!.stats.failed).toBe(0);
    expect(sqlite.walSyncs!.checkpoints).toBe(sqlite.checkpointer!.stats.checkpoints);
    // Unreused, the WAL would hold every commit's pages (over 6 000 here, see the next test); it
    // starts again after each checkpoint instead, so it stays near CHECKPOINT_PAGES.
    expect(sqlite.checkpointer!.stats.checkpoints).toBeGreaterThanOrEqual(4);
    // …and no more often: ~6 000 pages in all, so about one per CHECKPOINT_PAGES, not one per look
    // (CHECK_TURNS turns, ~48 pages here).
    expect(sqlite.checkpointer!.stats.checkpoints).toBeLessThanOrEqual(12);
    expect(wal).toBeLessThan(CHECKPOINT_PAGES * 1.5 * PAGE);
  });

  it('checkpoints as often as the pages each write turn adds call for', async () => {
    const path = scratch();
    const sqlite = openSqlite(path);
    const db = new Kysely<Tables>({ dialect: sqlite.dialect });
    const turns = 480;
    try {
      await createTable(db);
      for (let turn = 0; turn < turns; turn++) await writeLargeTurn(db, turn);
    } finally {
      await db.destroy();
    }
    // ~33 pages a turn, ~16 000 in all: a checkpoint each time the WAL reaches CHECKPOINT_PAGES,
    // looked at every CHECK_TURNS turns (~530 pages) — every other look.
    expect(sqlite.checkpointer!.stats.checkpoints).toBeGreaterThanOrEqual(12);
    expect(sqlite.checkpointer!.stats.checkpoints).toBeLessThanOrEqual(Math.ceil(turns / CHECK_TURNS));
  });

  it('two connections writing to one file (two processes of a cluster) keep the WAL near CHECKPOINT_PAGES between them', async () => {
    const path = scratch();
    const first = openSqlite(path);
    const second = openSqlite(path);
    const a = new Kysely<Tables>({ dialect: first.dialect });
    const b = new Kysely<Tables>({ dialect: second.dialect });
    let largest = 0;
    try {
      await createTable(a);
      // ~33 pages a turn, the two taking turns: each sees the other's pages in the WAL.
      for (let turn = 0; turn < 300; turn++) {
        await writeLargeTurn(turn % 2 === 0 ? a : b, turn);
        largest = Math.max(largest, walBytes(path));
      }
    } finally {
      await a.destroy();
      await b.destroy();
    }
    // ~10 000 pages written: checkpoints by both, and the WAL restarted rather than grown (it
    // would hold all ~10 000 pages). The checkpoints run on worker threads while both connections
    // keep writing, so on a loaded machine one can finish a few turns late: the bound allows the
    // WAL three checkpoints' worth of pages, well short of the growth it rules out.
    expect(
      first.checkpointer!.stats.checkpoints + second.checkpointer!.stats.checkpoints,
    ).toBeGreaterThanOrEqual(5);
    expect(largest).toBeLessThan(3 * CHECKPOINT_PAGES * PAGE);
  });

  it('the serving connection does not checkpoint by itself (SQLite would, inside a commit, at 1 000 pages)', async () => {
    const path = scratch();
    let wrote = 0;
    const inert: WalCheckpointer = {
      wrote: () => {
        wrote++;
      },
      checkpoint: async () => undefined,
      stats: { checkpoints: 0, failed: 0 },
      close: async () => undefined,
    };
    const sqlite = openSqlite(path, { checkpointer: () => inert });
    const db = new Kysely<Tables>({ dialect: sqlite.dialect });
    try {
      await writeTurns(db);
      // Told of every write turn: the table's creation and each insert.
      expect(wrote).toBe(TURNS + 1);
      // Nobody checkpointed: every commit's pages are still in the WAL, well past SQLite's own threshold.
      expect(walBytes(path)).toBeGreaterThan(SQLITE_AUTOCHECKPOINT_PAGES * 1.5 * PAGE);
      expect(walBytes(path)).toBeLessThan(BACKSTOP_CHECKPOINT_PAGES * PAGE);
    } finally {
      await db.destroy();
    }
  });

  it('a checkpointer that cannot run hands checkpoints back to SQLite, so the WAL stays bounded', async () => {
    const path = scratch();
    const failures: unknown[] = [];
    let failing: WalCheckpointer | null = null;
    const sqlite = openSqlite(path, {
      // A worker that cannot open its database (the file does not exist) fails at once.
      checkpointer: ({ due, onFailure }) => {
        failing = walCheckpointer(join(path, 'missing', 'x.db'), {
          due,
          onFailure: (error) => {
            failures.push(error);
            onFailure(error);
          },
        });
        return failing;
      },
    });
    const db = new Kysely<Tables>({ dialect: sqlite.dialect });
    try {
      await db.schema.createTable('warm').addColumn('a', 'integer').execute();
      await until(() => failures.length > 0);
      expect(failures).toHaveLength(1);
      await writeTurns(db);
      // SQLite's own automatic checkpoints again: the WAL is reused at about 1 000 pages.
      expect(walBytes(path)).toBeLessThan(SQLITE_AUTOCHECKPOINT_PAGES * 1.5 * PAGE);
      expect(failing!.stats.checkpoints).toBe(0);
    } finally {
      await db.destroy();
    }
  });

  it('once the storage is closed the worker is stopped: writes ask for no checkpoint, and a call runs none', async () => {
    const path = scratch();
    const sqlite = openSqlite(path);
    const db = new Kysely<Tables>({ dialect: sqlite.dialect });
    await writeTurns(db);
    const checkpointer = sqlite.checkpointer!;
    await db.destroy();
    const runs = checkpointer.stats.checkpoints;
    expect(runs).toBeGreaterThan(0);
    for (let i = 0; i < CHECK_TURNS * 20; i++) checkpointer.wrote();
    await checkpointer.checkpoint();
    expect(checkpointer.stats.checkpoints).toBe(runs);
    // Closing again is harmless.
    await checkpointer.close();
  });
});

/** Resolves once `condition` holds, checking after each turn of the event loop. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
