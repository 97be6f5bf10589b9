import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, SqliteIntrospector } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { DurableSqliteIntrospector } from '../../src/platform/durable-sqlite-introspector.js';

/**
 * The Durable Object dialect's introspector is Kysely's with the runtime's `_cf_*` tables passed
 * over (the object may not read them; restart.test.ts shows the boot that needs it). Here on
 * better-sqlite3, where such a table can be made: everything else comes out exactly as Kysely's.
 */
describe('the Durable Object SQLite introspector', () => {
  const sqlite = new Database(':memory:');
  sqlite.exec(`
    create table notes (id integer primary key autoincrement, body text not null default '');
    create table tags (id integer primary key, name text);
    create table pairs (a text, b text, primary key (a, b));
    create view note_bodies as select body from notes;
    create table kysely_migration (name varchar(255) not null primary key, timestamp varchar(255) not null);
    create table "_cf_METADATA" (key integer primary key, value blob);
    create table "_cf_KV" (key text primary key, value blob);
    create table acf_tables (id integer primary key);
  `);
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) });
  afterAll(() => db.destroy());

  const runtime = (name: string) => name.startsWith('_cf_');

  it('lists what Kysely lists, less the tables whose names begin with _cf_', async () => {
    for (const options of [{ withInternalKyselyTables: false }, { withInternalKyselyTables: true }]) {
      const kysely = await new SqliteIntrospector(db).getTables(options);
      const ours = await new DurableSqliteIntrospector(db).getTables(options);
      expect(kysely.some((table) => runtime(table.name))).toBe(true);
      expect(ours).toEqual(kysely.filter((table) => !runtime(table.name)));
    }
    // `_` is not a wildcard here: a name with any other first character stays.
    const names = (await new DurableSqliteIntrospector(db).getTables()).map((table) => table.name);
    expect(names).toEqual(['acf_tables', 'note_bodies', 'notes', 'pairs', 'tags']);
    expect(await new DurableSqliteIntrospector(db).getMetadata()).toEqual({
      tables: await new DurableSqliteIntrospector(db).getTables(),
    });
  });
});
