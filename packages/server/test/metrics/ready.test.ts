import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATION_NAMES } from '../../src/storage/migrations/index.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** kysely's PostgreSQL migration lock (pg_advisory_xact_lock key), as a migrator holds it. */
const MIGRATION_LOCK = '3853314791062309107';

describe.each(testDatabases)('/ready on $kind', (database) => {
  let t: TestServer;
  const ready = async () => {
    const response = await t.request('/ready');
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  };

  beforeAll(async () => {
    t = await startTestServer(database);
  });
  afterAll(() => t.close());

  it('is 200 with every part ok on a migrated database with a key', async () => {
    expect(await ready()).toEqual({
      status: 200,
      body: { status: 'ready', database: 'ok', migrations: 'ok', signing_key: 'ok' },
    });
  });

  it('is 503 while the database lacks a migration this build has, and ready again once it is back', async () => {
    const last = MIGRATION_NAMES.at(-1)!;
    const row = await sql<{
      name: string;
      timestamp: string;
    }>`select name, timestamp from pylon_migrations where name = ${last}`.execute(t.storage.db);
    await sql`delete from pylon_migrations where name = ${last}`.execute(t.storage.db);
    try {
      expect(await ready()).toEqual({
        status: 503,
        body: { status: 'not_ready', database: 'ok', migrations: 'pending', signing_key: 'ok' },
      });
    } finally {
      const { name, timestamp } = row.rows[0]!;
      await sql`insert into pylon_migrations (name, timestamp) values (${name}, ${timestamp})`.execute(
        t.storage.db,
      );
    }
    expect((await ready()).status).toBe(200);
  });

  it.runIf(database.kind === 'postgres')('is 503 while a migrator holds the migration lock', async () => {
    if (t.scratch.config.kind !== 'postgres') throw new Error('unreachable');
    const migrator = new pg.Client({ connectionString: t.scratch.config.url });
    await migrator.connect();
    try {
      await migrator.query('begin');
      await migrator.query(`select pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      expect(await ready()).toEqual({
        status: 503,
        body: { status: 'not_ready', database: 'ok', migrations: 'running', signing_key: 'ok' },
      });
      await migrator.query('commit');
      expect((await ready()).status).toBe(200);
    } finally {
      await migrator.end();
    }
  });

  it.runIf(database.kind === 'postgres')(
    'is not held up by a migrator of another database on the server',
    async () => {
      if (t.scratch.config.kind !== 'postgres') throw new Error('unreachable');
      const elsewhere = new URL(t.scratch.config.url);
      elsewhere.pathname = '/postgres';
      const migrator = new pg.Client({ connectionString: elsewhere.toString() });
      await migrator.connect();
      try {
        await migrator.query('begin');
        await migrator.query(`select pg_advisory_xact_lock(${MIGRATION_LOCK})`);
        expect((await ready()).body.migrations).toBe('ok');
        await migrator.query('commit');
      } finally {
        await migrator.end();
      }
    },
  );

  it('is 503 naming the database when it is unreachable', async () => {
    const other = await startTestServer(database);
    await other.storage.close();
    const response = await other.request('/ready');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'not_ready',
      database: 'unreachable',
      migrations: 'unknown',
      signing_key: 'missing',
    });
    await other.server.close();
    await other.scratch.drop();
  });
});
