import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresPool, prepareStatements } from '../../src/platform/postgres.js';
import type { Storage } from '../../src/storage/database.js';
import { type ScratchDatabase, testDatabases } from '../support/databases.js';

const postgres = testDatabases.find((database) => database.kind === 'postgres');

/** The statements this connection holds prepared (PostgreSQL's own view, per session). */
async function preparedOn(client: pg.PoolClient): Promise<Array<{ name: string; statement: string }>> {
  const { rows } = await client.query('select name, statement from pg_prepared_statements order by name');
  return rows;
}

describe.runIf(postgres)('PostgreSQL named statements', () => {
  let database: ScratchDatabase;
  let storage: Storage;
  let url: string;

  beforeAll(async () => {
    database = await postgres!.create();
    storage = await database.openMigrated();
    url = database.config.url;
  });
  afterAll(async () => {
    await storage?.close();
    await database?.drop();
  });

  it('a query through the storage runs as a statement its connection keeps prepared', async () => {
    const statements = await storage.db.transaction().execute(async (trx) => {
      await trx.selectFrom('users').select('id').where('id', '=', 'nobody').execute();
      await trx.selectFrom('users').select('id').where('id', '=', 'nobody either').execute();
      return sql<{
        name: string;
        statement: string;
      }>`select name, statement from pg_prepared_statements`.execute(trx);
    });
    const users = statements.rows.filter((row) => row.statement.includes('from "users"'));
    expect(users).toHaveLength(1);
    expect(users[0]!.name).toMatch(/^pylon_\d+$/);
  });

  it('names at most the limit of texts per connection and still runs the rest', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const client = await pool.connect();
    try {
      prepareStatements(client, 2);
      for (const n of [1, 2, 3, 1]) {
        const { rows } = await client.query(`select $1::int + ${n} as sum`, [1]);
        expect(rows[0].sum).toBe(1 + n);
      }
      expect((await preparedOn(client)).map((row) => row.name)).toEqual(['pylon_0', 'pylon_1']);
    } finally {
      client.release();
      await pool.end();
    }
  });

  it('runs unparameterised text, config objects and callbacks as pg would', async () => {
    const pool = createPostgresPool(url, { maxConnections: 1, connectTimeoutMs: 10_000 });
    const client = await pool.connect();
    try {
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
      expect((await client.query({ text: 'select $1::text as v', values: ['x'] })).rows).toEqual([
        { v: 'x' },
      ]);
      const viaCallback = await new Promise((resolve, reject) =>
        client.query('select $1::int as n', [7], (error, result) =>
          error ? reject(error) : resolve(result.rows),
        ),
      );
      expect(viaCallback).toEqual([{ n: 7 }]);
      expect(await preparedOn(client)).toEqual([]);
    } finally {
      client.release();
      await pool.end();
    }
  });

  it('a statement whose columns a migration changed fails once, then is prepared afresh', async () => {
    const pool = createPostgresPool(url, { maxConnections: 1, connectTimeoutMs: 10_000 });
    const client = await pool.connect();
    try {
      await client.query('create table prepared_probe (id int primary key)');
      await client.query('insert into prepared_probe values (1)');
      const read = () => client.query('select * from prepared_probe where id = $1', [1]);
      expect((await read()).rows).toEqual([{ id: 1 }]);
      await client.query('alter table prepared_probe add column note text');
      await expect(read()).rejects.toMatchObject({ code: '0A000' });
      expect((await read()).rows).toEqual([{ id: 1, note: null }]);
    } finally {
      await client.query('drop table if exists prepared_probe');
      client.release();
      await pool.end();
    }
  });
});
