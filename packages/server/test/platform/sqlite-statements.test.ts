import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { cacheStatements, openSqlite, rowBuilder } from '../../src/platform/sqlite.js';

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
    // A `select *` read again after a column was added shows the new column too.
    const all = CompiledQuery.raw('select * from t where id = ?', ['a']);
    expect(read(all, ['a'])).toEqual([{ id: 'a', n: 1, note: null }]);
    writer.exec(`alter table t add column extra text default 'x'`);
    expect(read(all, ['a'])).toEqual([{ id: 'a', n: 1, note: null, extra: 'x' }]);
    writer.close();
  });
});
