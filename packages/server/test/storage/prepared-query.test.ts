import { type LogEvent, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { DB } from '../../src/storage/database.js';
import {
  prepareBatchableQuery,
  prepareQuery,
  prepareWrite,
  prepareWriteOnAny,
} from '../../src/storage/prepared-query.js';
import { testDatabases } from '../support/databases.js';

/** Orgs `acme` (created at 1) and `beta` (created at `betaCreatedAt`). */
const twoOrgs = (db: DB, betaCreatedAt: number) =>
  db
    .insertInto('orgs')
    .values([
      { id: 'acme', name: 'Acme', created_at: 1 },
      { id: 'beta', name: 'Beta', created_at: betaCreatedAt },
    ])
    .execute();

describe.each(testDatabases)('prepareQuery on $kind', (database) => {
  it('compiles once and binds each named value wherever the dialect put it', async () => {
    const scratch = await database.create();
    const storage = await scratch.openMigrated();
    try {
      const { db } = storage;
      await twoOrgs(db, 2);
      // The names are used out of order and one twice: binding is by name, not by position.
      const query = prepareQuery<{ id: string; name: string }, 'name' | 'id'>((value) =>
        db
          .selectFrom('orgs')
          .select(['id', 'name'])
          .where((eb) => eb.or([eb('id', '=', value('id')), eb('name', '=', value('name'))]))
          .where('id', '=', value('id')),
      );
      expect(await query.run(db, { id: 'acme', name: 'nobody' })).toEqual([{ id: 'acme', name: 'Acme' }]);
      expect(await query.run(db, { id: 'beta', name: 'Beta' })).toEqual([{ id: 'beta', name: 'Beta' }]);
      expect(await query.run(db, { id: 'none', name: 'Acme' })).toEqual([]);
      // Through Kysely's own executor too (what a transaction, or PostgreSQL, runs).
      expect((await db.executeQuery(query.compile({ id: 'beta', name: 'Beta' }))).rows).toEqual([
        { id: 'beta', name: 'Beta' },
      ]);
    } finally {
      await storage.close();
      await scratch.drop();
    }
  });

  it('refuses a query that binds a value that is not a named placeholder', async () => {
    const scratch = await database.create();
    const storage = scratch.open();
    try {
      expect(() =>
        prepareQuery<{ id: string }, 'id'>((value) =>
          storage.db
            .selectFrom('orgs')
            .select('id')
            .where('id', '=', value('id'))
            .where('name', '=', 'fixed'),
        ),
      ).toThrow('named placeholders');
    } finally {
      await storage.close();
      await scratch.drop();
    }
  });

  it('refuses a query that reads the clock or random numbers (an answer kept in memory would go stale)', async () => {
    const scratch = await database.create();
    const storage = scratch.open();
    try {
      for (const made of ['current_timestamp', 'random()', 'now()'])
        expect(() =>
          prepareQuery<{ id: string }, 'id'>((value) =>
            storage.db
              .selectFrom('orgs')
              .select(['id', sql.raw<string>(made).as('made')])
              .where('id', '=', value('id')),
          ),
        ).toThrow('clock or random');
      // Such a word as a (quoted) name, or inside a longer one, is fine: only a call is refused.
      for (const name of ['time', 'now', 'updated_date', 'random_id'])
        expect(() =>
          prepareQuery<{ id: string }, 'id'>((value) =>
            storage.db
              .selectFrom('orgs')
              .select(['id', sql.ref<string>('created_at').as(name)])
              .where('id', '=', value('id')),
          ),
        ).not.toThrow();
    } finally {
      await storage.close();
      await scratch.drop();
    }
  });

  it('a read never sees another request’s open transaction, and sees its commit at once', async () => {
    const scratch = await database.create();
    const storage = await scratch.openMigrated();
    try {
      const { db } = storage;
      const query = prepareQuery<{ id: string }, 'id'>((value) =>
        db.selectFrom('orgs').select('id').where('id', '=', value('id')),
      );
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let inserted!: () => void;
      const wrote = new Promise<void>((resolve) => {
        inserted = resolve;
      });
      // Another request's transaction writes, then stays open across an await, then rolls back.
      const transaction = db
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto('orgs').values({ id: 'ghost', name: 'Ghost', created_at: 1 }).execute();
          // Inside it, the same prepared read sees its own uncommitted row.
          expect(await query.run(trx, { id: 'ghost' })).toEqual([{ id: 'ghost' }]);
          inserted();
          await held;
          throw new Error('roll back');
        })
        .catch((error: Error) => error.message);
      await wrote;
      let answered = false;
      const outside = query.run(db, { id: 'ghost' }).then((rows) => {
        answered = true;
        return rows;
      });
      // On SQLite the read waits for the connection; on PostgreSQL another connection answers at
      // once. Either way it must not return the uncommitted row.
      await new Promise((resolve) => setImmediate(resolve));
      if (answered) expect(await outside).toEqual([]);
      release();
      expect(await transaction).toBe('roll back');
      expect(await outside).toEqual([]);
      await db.insertInto('orgs').values({ id: 'real', name: 'Real', created_at: 2 }).execute();
      expect(await query.run(db, { id: 'real' })).toEqual([{ id: 'real' }]);
    } finally {
      await storage.close();
      await scratch.drop();
    }
  });

  it('every prepared read reaches the query metrics, a failed one as an error', async () => {
    const scratch = await database.create();
    const storage = await scratch.openMigrated();
    try {
      const { db } = storage;
      const events: LogEvent[] = [];
      storage.observeQueries((event) => events.push(event));
      const query = prepareQuery<{ id: string }, 'id'>((value) =>
        db.selectFrom('orgs').select('id').where('id', '=', value('id')),
      );
      await query.run(db, { id: 'acme' });
      expect(events.map((event) => [event.level, event.query.sql])).toEqual([
        ['query', query.compile({ id: 'acme' }).sql],
      ]);
      await db.schema.alterTable('orgs').renameTo('orgs_gone').execute();
      await expect(query.run(db, { id: 'acme' })).rejects.toThrow();
      expect(events.at(-1)!.level).toBe('error');
      expect(events.at(-1)!.query.sql).toBe(query.compile({ id: 'acme' }).sql);
    } finally {
      await storage.close();
      await scratch.drop();
    }
  });

  it('a batchable read answers each look-up its own rows; on PostgreSQL those that differ only in the key share a statement', async () => {
    const scratch = await database.create();
    const storage = await scratch.openMigrated();
    try {
      const { db } = storage;
      await twoOrgs(db, 7);
      const query = prepareBatchableQuery(
        'id',
        (value: (name: 'id' | 'since') => string, many) =>
          db
            .selectFrom('orgs')
            .select(['id', 'name'])
            .where('id', '=', many ? sql<string>`any(${value('id')})` : value('id'))
            .where('created_at', '>=', sql<number>`${value('since')}`),
        (row) => row.id,
      );
      const statements: string[] = [];
      storage.observeQueries((event) => statements.push(event.query.sql));
      const answers = await Promise.all([
        query.run(db, { id: 'acme', since: 0 }),
        query.run(db, { id: 'beta', since: 0 }),
        query.run(db, { id: 'none', since: 0 }),
        // Another value besides the key: its own statement, never mixed with the others.
        query.run(db, { id: 'acme', since: 5 }),
        query.run(db, { id: 'beta', since: 5 }),
      ]);
      expect(answers).toEqual([
        [{ id: 'acme', name: 'Acme' }],
        [{ id: 'beta', name: 'Beta' }],
        [],
        [],
        [{ id: 'beta', name: 'Beta' }],
      ]);
      if (database.kind === 'postgres') expect(statements).toHaveLength(2);
      // Inside a transaction each read runs alone, on the transaction's connection.
      statements.length = 0;
      const inside = await db
        .transaction()
        .execute((trx) =>
          Promise.all([query.run(trx, { id: 'acme', since: 0 }), query.run(trx, { id: 'beta', since: 0 })]),
        );
      expect(inside).toEqual([[{ id: 'acme', name: 'Acme' }], [{ id: 'beta', name: 'Beta' }]]);
      expect(statements.filter((text) => text.includes('"orgs"'))).toHaveLength(2);
    } finally {
      await storage.close();
      await scratch.drop();
    }
  });

  it('a batchable read run on two databases at once reads each from its own', async () => {
    const scratches = [await database.create(), await database.create()];
    const [one, two] = await Promise.all(scratches.map((scratch) => scratch.openMigrated()));
    try {
      await twoOrgs(one!.db, 2);
      const query = prepareBatchableQuery(
        'id',
        (value: (name: 'id') => string, many) =>
          one!.db
            .selectFrom('orgs')
            .select(['id', 'name'])
            .where('id', '=', many ? sql<string>`any(${value('id')})` : value('id')),
        (row) => row.id,
      );
      const answers = await Promise.all([
        query.run(one!.db, { id: 'acme' }),
        query.run(two!.db, { id: 'acme' }),
        query.run(one!.db, { id: 'beta' }),
      ]);
      expect(answers).toEqual([[{ id: 'acme', name: 'Acme' }], [], [{ id: 'beta', name: 'Beta' }]]);
    } finally {
      await Promise.all([one!.close(), two!.close()]);
      await Promise.all(scratches.map((scratch) => scratch.drop()));
    }
  });

  it('read answers with the rows themselves where the direct reader does (SQLite outside a transaction), else a promise', async () => {
    const scratch = await database.create();
    const storage = await scratch.openMigrated();
    try {
      const { db } = storage;
      await twoOrgs(db, 2);
      const query = prepareQuery<{ id: string }, 'id'>((value) =>
        db.selectFrom('orgs').select('id').where('id', '=', value('id')),
      );
      const read = query.read(db, { id: 'acme' });
      if (database.kind === 'sqlite') expect(read).toEqual([{ id: 'acme' }]);
      else expect(read).toBeInstanceOf(Promise);
      expect(await read).toEqual([{ id: 'acme' }]);
      if (database.kind === 'sqlite') {
        // The direct reader's own failure (a value SQLite cannot bind) is thrown, not a rejection;
        // `run` still rejects with it.
        expect(() => query.read(db, { id: { not: 'bindable' } })).toThrow(TypeError);
        await expect(query.run(db, { id: { not: 'bindable' } })).rejects.toThrow(TypeError);
      }
      // A transaction's reads go through Kysely on its connection; so do the storage's reads while
      // one is open on SQLite's single connection (the reader declines), and they wait for it.
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let opened!: () => void;
      const open = new Promise<void>((resolve) => {
        opened = resolve;
      });
      const transaction = db.transaction().execute(async (trx) => {
        const inside = query.read(trx, { id: 'beta' });
        expect(inside).toBeInstanceOf(Promise);
        expect(await inside).toEqual([{ id: 'beta' }]);
        opened();
        await held;
      });
      await open;
      const beside = query.read(db, { id: 'beta' });
      expect(beside).toBeInstanceOf(Promise);
      release();
      await transaction;
      expect(await beside).toEqual([{ id: 'beta' }]);
      // A batchable read on PostgreSQL is always a promise (its look-ups may share a statement).
      const batchable = prepareBatchableQuery<{ id: string }, 'id', 'id'>(
        'id',
        (value, many) =>
          db
            .selectFrom('orgs')
            .select('id')
            .where('id', '=', many ? sql<string>`any(${value('id')})` : value('id')),
        (row) => row.id,
      );
      const batched = batchable.read(db, { id: 'acme' });
      if (database.kind === 'sqlite') expect(batched).toEqual([{ id: 'acme' }]);
      else expect(batched).toBeInstanceOf(Promise);
      expect(await batched).toEqual([{ id: 'acme' }]);
    } finally {
      await storage.close();
      await scratch.drop();
    }
  });

  it('after the storage is closed a read fails as Kysely fails it (run and read alike)', async () => {
    const scratch = await database.create();
    const storage = await scratch.openMigrated();
    const query = prepareQuery<{ id: string }, 'id'>((value) =>
      storage.db.selectFrom('orgs').select('id').where('id', '=', value('id')),
    );
    await storage.close();
    try {
      await expect(query.run(storage.db, { id: 'acme' })).rejects.toThrow();
      await expect((async () => query.read(storage.db, { id: 'acme' }))()).rejects.toThrow();
    } finally {
      await scratch.drop();
    }
  });

  it('a prepared write binds by name, returns what it returns, and commits or rolls back with its transaction', async () => {
    const scratch = await database.create();
    const storage = await scratch.openMigrated();
    try {
      const { db } = storage;
      await twoOrgs(db, 2);
      // An upsert naming one value twice, returning the row it left.
      const rename = prepareWrite<{ id: string; name: string }, 'id' | 'name'>((value) =>
        db
          .insertInto('orgs')
          .values({ id: value('id'), name: value('name'), created_at: sql.lit(7) })
          .onConflict((oc) => oc.column('id').doUpdateSet({ name: sql<string>`${value('name')} || '!'` }))
          .returning(['id', 'name']),
      );
      expect(await rename.run(db, { id: 'acme', name: 'Acme 2' })).toEqual([{ id: 'acme', name: 'Acme 2!' }]);
      expect(await rename.run(db, { id: 'gamma', name: 'Gamma' })).toEqual([{ id: 'gamma', name: 'Gamma' }]);
      // Inside a transaction that rolls back, nothing it wrote stays; inside one that commits, it does.
      await expect(
        db.transaction().execute(async (trx) => {
          await rename.run(trx, { id: 'beta', name: 'Lost' });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      await db.transaction().execute((trx) => rename.run(trx, { id: 'delta', name: 'Delta' }));
      const names = await db.selectFrom('orgs').select(['id', 'name']).orderBy('id').execute();
      expect(names).toEqual([
        { id: 'acme', name: 'Acme 2!' },
        { id: 'beta', name: 'Beta' },
        { id: 'delta', name: 'Delta' },
        { id: 'gamma', name: 'Gamma' },
      ]);
      // A write with nothing to return resolves to no rows.
      const remove = prepareWrite<never, 'id'>((value) =>
        db.deleteFrom('orgs').where('id', '=', value('id')),
      );
      expect(await remove.run(db, { id: 'gamma' })).toEqual([]);
      expect(await db.selectFrom('orgs').select('id').where('id', '=', 'gamma').execute()).toEqual([]);
      expect(() =>
        prepareWrite<never, 'id'>((value) =>
          db.updateTable('orgs').set({ name: 'fixed' }).where('id', '=', value('id')),
        ),
      ).toThrow('named placeholders');
    } finally {
      await storage.close();
      await scratch.drop();
    }
  });

  it('a write prepared on any database runs on each storage and transaction it is handed', async () => {
    const scratches = [await database.create(), await database.create()];
    const [one, two] = await Promise.all(scratches.map((scratch) => scratch.openMigrated()));
    try {
      let builds = 0;
      const create = prepareWriteOnAny<never, 'id'>((db, value) => {
        builds++;
        return db.insertInto('orgs').values({ id: value('id'), name: value('id'), created_at: sql.lit(1) });
      });
      await create.run(one!.db, { id: 'acme' });
      await two!.db.transaction().execute((trx) => create.run(trx, { id: 'beta' }));
      await one!.db.transaction().execute((trx) => create.run(trx, { id: 'gamma' }));
      const ids = async (storage: typeof one) =>
        (await storage!.db.selectFrom('orgs').select('id').orderBy('id').execute()).map((row) => row.id);
      expect(await ids(one)).toEqual(['acme', 'gamma']);
      expect(await ids(two)).toEqual(['beta']);
      // Once per dialect: each storage opens its own adapter, and a transaction shares its storage's.
      expect(builds).toBe(2);
    } finally {
      await Promise.all([one!.close(), two!.close()]);
      await Promise.all(scratches.map((scratch) => scratch.drop()));
    }
  });
});
