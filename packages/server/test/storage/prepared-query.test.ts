import { describe, expect, it } from 'vitest';
import { prepareQuery } from '../../src/storage/prepared-query.js';
import { testDatabases } from '../support/databases.js';

describe.each(testDatabases)('prepareQuery on $kind', (database) => {
  it('compiles once and binds each named value wherever the dialect put it', async () => {
    const scratch = await database.create();
    const storage = await scratch.openMigrated();
    try {
      const { db } = storage;
      await db
        .insertInto('orgs')
        .values([
          { id: 'acme', name: 'Acme', created_at: 1 },
          { id: 'beta', name: 'Beta', created_at: 2 },
        ])
        .execute();
      // The names are used out of order and one twice: binding is by name, not by position.
      const query = prepareQuery<{ id: string; name: string }, 'name' | 'id'>((value) =>
        db
          .selectFrom('orgs')
          .select(['id', 'name'])
          .where((eb) => eb.or([eb('id', '=', value('id')), eb('name', '=', value('name'))]))
          .where('id', '=', value('id')),
      );
      expect((await db.executeQuery(query({ id: 'acme', name: 'nobody' }))).rows).toEqual([
        { id: 'acme', name: 'Acme' },
      ]);
      expect((await db.executeQuery(query({ id: 'beta', name: 'Beta' }))).rows).toEqual([
        { id: 'beta', name: 'Beta' },
      ]);
      expect((await db.executeQuery(query({ id: 'none', name: 'Acme' }))).rows).toEqual([]);
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
});
