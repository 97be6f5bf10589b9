import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cacheStatements } from '../../src/platform/sqlite.js';

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
