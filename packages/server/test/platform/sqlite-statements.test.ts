import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  cacheStatements,
  DIRECT_ANSWERS_PER_STATEMENT,
  openSqlite,
  rowBuilder,
} from '../../src/platform/sqlite.js';

describe('cacheStatements', () => {
  it('reuses a prepared statement per SQL text and evicts the least recently used', () => {
    const raw = new BetterSqlite3(':memory:');
    let prepared = 0;
    const counting = {
      close: () => raw.close(),
      prepare: (text: string) => {
        prepared++;
        return raw.prepare(text);
      },
    };
    const db = cacheStatements(counting, 2);
    const one = db.prepare('select 1 as v');
    expect(db.prepare('select 1 as v')).toBe(one);
    expect(one.all([])).toEqual([{ v: 1 }]);
    db.prepare('select 2 as v');
    db.prepare('select 1 as v'); // touch: now most recently used
    db.prepare('select 3 as v'); // evicts `select 2`
    expect(prepared).toBe(3);
    db.prepare('select 1 as v');
    expect(prepared).toBe(3);
    db.prepare('select 2 as v');
    expect(prepared).toBe(4);
    db.close();
  });

  it('a cached statement still works after the schema changes', () => {
    const db = cacheStatements(new BetterSqlite3(':memory:'));
    db.prepare('create table t (a integer)').run([]);
    db.prepare('insert into t (a) values (?)').run([1]);
    const read = db.prepare('select * from t');
    expect(read.all([])).toEqual([{ a: 1 }]);
    db.prepare('alter table t add column b integer').run([]);
    expect(db.prepare('select * from t').all([])).toEqual([{ a: 1, b: null }]);
    db.close();
  });
});

describe('rowBuilder', () => {
  it('makes the object better-sqlite3 would, from a raw row', () => {
    const raw = new BetterSqlite3(':memory:');
    const text = `select 1 as "n", 'x' as "s", null as "z", x'00ff' as "b", 2.5 as "f", 7 as "a""b c", 8 as "n"`;
    const objects = raw.prepare(text).all() as Record<string, unknown>[];
    const statement = raw.prepare(text).raw(true);
    const build = rowBuilder(statement.columns().map((column) => column.name));
    const built = (statement.all() as unknown[][]).map(build);
    expect(built).toEqual(objects);
    // A repeated name keeps its last column, as better-sqlite3 does.
    expect(built[0]).toMatchObject({ n: 8, 'a"b c': 7 });
    raw.close();
  });

  it('a column named __proto__ is an own property and leaves the prototype alone', () => {
    const row = rowBuilder(['__proto__', 'constructor'])(['polluted', 'c']);
    expect(Object.hasOwn(row, '__proto__')).toBe(true);
    expect(row.__proto__).toBe('polluted');
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('openSqlite direct reader', () => {
  it('reads rows as objects, and declines a statement that is not a read', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pylon-direct-')), 'direct.db');
    const { read } = openSqlite(path);
    const writer = new BetterSqlite3(path);
    writer.exec(`create table t (id text primary key, n integer, note text)`);
    writer.prepare('insert into t values (?, ?, ?)').run('a', 1, null);
    const select = CompiledQuery.raw('select id, n, note from t where id = ?', ['a']);
    expect(read(select, ['a'])).toEqual([{ id: 'a', n: 1, note: null }]);
    expect(read(select, ['none'])).toEqual([]);
    // Not a read: declined, so the caller takes Kysely's path.
    expect(read(CompiledQuery.raw(`update t set n = 2`, []), [])).toBeUndefined();
    // Nor a write that returns rows: it must run every time, never be answered from memory.
    const returning = CompiledQuery.raw(`insert into t values ('r', 1, null) returning id`, []);
    expect(read(returning, [])).toBeUndefined();
    // A `select *` read again after a column was added shows the new column too.
    const all = CompiledQuery.raw('select * from t where id = ?', ['a']);
    expect(read(all, ['a'])).toEqual([{ id: 'a', n: 1, note: null }]);
    writer.exec(`alter table t add column extra text default 'x'`);
    expect(read(all, ['a'])).toEqual([{ id: 'a', n: 1, note: null, extra: 'x' }]);
    writer.close();
  });
});

describe('openSqlite direct reader, answers kept in memory', () => {
  /** A scratch file with `t (id, n)` holding ('a', 1), opened by Pylon's reader and its Kysely. */
  const open = () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pylon-answers-')), 'answers.db');
    const sqlite = openSqlite(path);
    const db = new Kysely<{ t: { id: string; n: number } }>({ dialect: sqlite.dialect });
    const setup = new BetterSqlite3(path);
    setup.exec(`create table t (id text primary key, n integer); insert into t values ('a', 1)`);
    setup.close();
    const select = CompiledQuery.raw('select id, n from t where id = ?', ['a']);
    const n = () => (sqlite.read(select, ['a']) as { n: number }[])[0]?.n;
    return { path, sqlite, db, select, n };
  };

  it('answers a repeated read from memory, as fresh objects', async () => {
    const { sqlite, db, select } = open();
    const first = sqlite.read(select, ['a']) as { n: number }[];
    expect(sqlite.readCache).toEqual({ hits: 0, misses: 1 });
    first[0]!.n = 99;
    expect(sqlite.read(select, ['a'])).toEqual([{ id: 'a', n: 1 }]);
    expect(sqlite.readCache).toEqual({ hits: 1, misses: 1 });
    // Another parameter is another answer.
    expect(sqlite.read(select, ['b'])).toEqual([]);
    expect(sqlite.readCache.misses).toBe(2);
    await db.destroy();
  });

  it("sees this connection's own writes at the next read, committed or rolled back", async () => {
    const { db, n } = open();
    expect(n()).toBe(1);
    await db.updateTable('t').set({ n: 2 }).where('id', '=', 'a').execute();
    expect(n()).toBe(2);
    await db.insertInto('t').values({ id: 'b', n: 5 }).execute();
    await db.deleteFrom('t').where('id', '=', 'a').execute();
    expect(n()).toBeUndefined();
    await db.insertInto('t').values({ id: 'a', n: 3 }).execute();
    expect(n()).toBe(3);
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.updateTable('t').set({ n: 4 }).where('id', '=', 'a').execute();
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(n()).toBe(3);
    await db
      .transaction()
      .execute((trx) => trx.updateTable('t').set({ n: 6 }).where('id', '=', 'a').execute());
    expect(n()).toBe(6);
    // A write that returns rows (Kysely runs it as a reader) counts as a write too.
    expect(await db.updateTable('t').set({ n: 7 }).where('id', '=', 'a').returning('n').execute()).toEqual([
      { n: 7 },
    ]);
    expect(n()).toBe(7);
    await db.destroy();
  });

  it("sees another connection's commit at the next read", async () => {
    const { path, db, n } = open();
    const other = new BetterSqlite3(path);
    for (let value = 2; value <= 20; value++) {
      expect(n()).toBe(value - 1);
      other.prepare(`update t set n = ? where id = 'a'`).run(value);
    }
    expect(n()).toBe(20);
    // A write that changes nothing leaves the kept answer right.
    other.prepare(`update t set n = n where id = 'a'`).run();
    expect(n()).toBe(20);
    other.close();
    await db.destroy();
  });

  it("sees another process's commit at the next read", async () => {
    const { path, db, n } = open();
    expect(n()).toBe(1);
    const script = `const D = require('better-sqlite3'); const d = new D(process.argv[1]);
      d.prepare("update t set n = 42 where id = 'a'").run(); d.close();`;
    execFileSync(process.execPath, ['-e', script, path], { cwd: process.cwd() });
    expect(n()).toBe(42);
    await db.destroy();
  });

  it('sees a schema change made on this connection', async () => {
    const { sqlite, db } = open();
    const all = CompiledQuery.raw('select * from t where id = ?', ['a']);
    expect(sqlite.read(all, ['a'])).toEqual([{ id: 'a', n: 1 }]);
    await sql`alter table t add column note text default 'x'`.execute(db);
    expect(sqlite.read(all, ['a'])).toEqual([{ id: 'a', n: 1, note: 'x' }]);
    await sql`update t set note = null`.execute(db);
    expect(sqlite.read(all, ['a'])).toEqual([{ id: 'a', n: 1, note: null }]);
    await db.destroy();
  });

  it('keeps parameters of different types and boundaries apart, and never keeps a blob parameter', async () => {
    const { sqlite, db } = open();
    const typed = CompiledQuery.raw('select typeof(?) as a, ? as b', []);
    expect(sqlite.read(typed, [1, 'x'])).toEqual([{ a: 'real', b: 'x' }]);
    expect(sqlite.read(typed, [1n, 'x'])).toEqual([{ a: 'integer', b: 'x' }]);
    expect(sqlite.read(typed, ['1', 'x'])).toEqual([{ a: 'text', b: 'x' }]);
    expect(sqlite.read(typed, [null, 'x'])).toEqual([{ a: 'null', b: 'x' }]);
    expect(sqlite.read(typed, ['s1:a', 'b'])).toEqual([{ a: 'text', b: 'b' }]);
    expect(sqlite.read(typed, ['s1:a', 's1:b'])).toEqual([{ a: 'text', b: 's1:b' }]);
    expect(sqlite.readCache).toEqual({ hits: 0, misses: 6 });
    const blob = Buffer.from([1]);
    sqlite.read(typed, [blob, 'x']);
    expect(sqlite.read(typed, [blob, 'x'])).toEqual([{ a: 'blob', b: 'x' }]);
    expect(sqlite.readCache).toEqual({ hits: 0, misses: 8 });
    await db.destroy();
  });

  it(`keeps at most ${DIRECT_ANSWERS_PER_STATEMENT} answers per statement`, async () => {
    const { sqlite, db, select } = open();
    for (let i = 0; i < DIRECT_ANSWERS_PER_STATEMENT; i++) sqlite.read(select, [`k${i}`]);
    sqlite.read(select, ['k0']);
    expect(sqlite.readCache).toEqual({ hits: 1, misses: DIRECT_ANSWERS_PER_STATEMENT });
    sqlite.read(select, ['one more']); // full: everything is dropped, then this is kept
    sqlite.read(select, ['k1']);
    expect(sqlite.readCache).toEqual({ hits: 1, misses: DIRECT_ANSWERS_PER_STATEMENT + 2 });
    await db.destroy();
  });
});
