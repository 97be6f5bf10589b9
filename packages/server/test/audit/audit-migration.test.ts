import { Migrator } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/storage/database.js';
import { CodeMigrationProvider } from '../../src/storage/migrations/index.js';
import { testDatabases } from '../support/databases.js';

describe.each(testDatabases)('migration 0009 (audit shape) on $kind', (database) => {
  it('classifies the entries written before it from their actor string', async () => {
    const scratch = await database.create();
    const storage = scratch.open();
    try {
      const migrator = new Migrator({
        db: storage.db,
        provider: new CodeMigrationProvider({ dialect: storage.dialect }),
        migrationTableName: 'pylon_migrations',
        migrationLockTableName: 'pylon_migrations_lock',
      });
      expect((await migrator.migrateTo('0008-rate-limit-gcra')).error).toBeUndefined();
      const legacy = [
        ['admin', 'role.granted', 'x@example.com'],
        ['usr_0123', 'auth.sign_in', 'usr_0123'],
        ['guest_ab', 'guest.merged', 'guest_ab'],
        ['app:notes', 'schema.pushed', 'notes'],
        ['pat@example.com', 'app.registered', 'notes'],
        ['anonymous', 'auth.sign_in_failed', null],
      ] as const;
      // A migration test: rows in the shape of the time go in, and the raw rows after show the migration.
      for (const [actor, action, target] of legacy) {
        // Written with the columns of the time: the new ones do not exist yet.
        await storage.db
          .insertInto('audit_events')
          .values({ ts: 1, org: 'default', action, actor, target } as never)
          .execute();
      }
      expect((await migrateToLatest(storage)).error).toBeUndefined();
      const rows = await storage.db
        .selectFrom('audit_events')
        .select(['actor', 'actor_type', 'actor_id', 'target_email'])
        .orderBy('id')
        .execute();
      expect(rows).toEqual([
        { actor: 'admin', actor_type: 'admin', actor_id: null, target_email: 'x@example.com' },
        { actor: 'usr_0123', actor_type: 'user', actor_id: 'usr_0123', target_email: null },
        { actor: 'guest_ab', actor_type: 'user', actor_id: 'guest_ab', target_email: null },
        { actor: 'app:notes', actor_type: 'app', actor_id: 'notes', target_email: null },
        { actor: 'pat@example.com', actor_type: 'user', actor_id: null, target_email: null },
        { actor: 'anonymous', actor_type: 'anonymous', actor_id: null, target_email: null },
      ]);
    } finally {
      await storage.close();
      await scratch.drop();
    }
  });
});
