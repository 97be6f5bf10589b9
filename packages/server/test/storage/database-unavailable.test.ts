import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrateToLatest, openStorage, type Storage } from '../../src/storage/database.js';
import { isDatabaseUnavailable } from '../../src/storage/errors.js';
import { postgresAvailable, type ScratchDatabase, testDatabases } from '../support/databases.js';

const bin = fileURLToPath(new URL('../../dist/bin/pylon-server.js', import.meta.url));

/**
 * A TCP relay on loopback to the test PostgreSQL that can be cut: `blackHole()` drops every relayed
 * connection and from then on accepts new ones without relaying a byte (a server gone silent, a
 * network partition); `freeze()` keeps every connection open but relays nothing either way (a
 * network that drops packets instead of refusing them: no reset ever comes); `restore()` relays
 * again.
 */
async function relayTo(target: URL): Promise<{
  url: string;
  blackHole(): void;
  freeze(): void;
  restore(): void;
  close(): Promise<void>;
}> {
  let silent = false;
  let frozen = false;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    if (silent) return;
    const upstream = connect(Number(target.port || 5432), target.hostname);
    track(upstream);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    // Bytes arriving while frozen are dropped, as a partitioned network drops them.
    client.on('data', (chunk: Buffer) => frozen || upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => frozen || client.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    blackHole() {
      silent = true;
      for (const socket of sockets) socket.destroy();
    },
    freeze() {
      frozen = true;
    },
    restore() {
      silent = false;
      frozen = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const postgres = testDatabases.find((database) => database.kind === 'postgres');

describe('isDatabaseUnavailable', () => {
  it('is true for SQLite still locked by another connection when its busy timeout ran out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pylon-busy-'));
    const holder = new Database(join(dir, 'db.sqlite'));
    holder.pragma('journal_mode = WAL');
    holder.exec('create table t (x integer)');
    const other = new Database(join(dir, 'db.sqlite'), { timeout: 0 });
    holder.exec('begin immediate');
    try {
      let caught: unknown = null;
      try {
        other.exec('insert into t values (1)');
      } catch (error) {
        caught = error;
      }
      expect((caught as { code?: string }).code).toMatch(/^SQLITE_BUSY/);
      expect(isDatabaseUnavailable(caught)).toBe(true);
    } finally {
      holder.exec('rollback');
      holder.close();
      other.close();
    }
  });

  it('is false for a fault in the statement or in the code: a constraint, bad SQL, a TypeError', () => {
    const db = new Database(':memory:');
    db.exec('create table t (x integer primary key)');
    db.exec('insert into t values (1)');
    const failing = [
      () => db.exec('insert into t values (1)'),
      () => db.exec('selec 1'),
      () => (null as unknown as { x: number }).x,
    ];
    for (const run of failing) {
      let caught: unknown = null;
      try {
        run();
      } catch (error) {
        caught = error;
      }
      expect(caught).not.toBeNull();
      expect(isDatabaseUnavailable(caught)).toBe(false);
    }
    db.close();
    for (const value of [null, undefined, 'ECONNREFUSED', 42, { code: 42 }, { message: 'Connection fine' }])
      expect(isDatabaseUnavailable(value)).toBe(false);
  });

  it('is false for the same socket error from anything but the database (SMTP, an identity provider)', async () => {
    // Port 1 on loopback refuses, as a PostgreSQL that is down would: the code alone says nothing
    // about who refused.
    const refused = await new Promise<unknown>((resolve) => {
      const socket = connect(1, '127.0.0.1');
      socket.once('error', resolve);
    });
    expect((refused as { code?: string }).code).toBe('ECONNREFUSED');
    expect(isDatabaseUnavailable(refused)).toBe(false);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: '08006' }))).toBe(false);
  });

  it.skipIf(!postgresAvailable)(
    'is true for a PostgreSQL connection refused, and false for bad SQL',
    async () => {
      // Port 1 on loopback: nothing listens there, the connection is refused at once.
      const refused = openStorage({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none' });
      const error = await sql`select 1`.execute(refused.db).catch((caught: unknown) => caught);
      await refused.close();
      expect((error as { code?: string }).code).toBe('ECONNREFUSED');
      expect(isDatabaseUnavailable(error)).toBe(true);

      const scratch = await postgres!.create();
      const storage = scratch.open();
      try {
        const syntax = await sql`selec 1`.execute(storage.db).catch((caught: unknown) => caught);
        expect((syntax as { code?: string }).code).toBe('42601');
        expect(isDatabaseUnavailable(syntax)).toBe(false);
      } finally {
        await storage.close();
        await scratch.drop();
      }
    },
  );

  it.skipIf(!postgresAvailable)(
    'is true for whatever PostgreSQL answers a connection with: not accepting connections, no such database or role',
    async () => {
      const scratch = await postgres!.create();
      const admin = new pg.Client({ connectionString: inject('postgresURL')! });
      await admin.connect();
      const url = new URL(scratch.config.url);
      const database = url.pathname.slice(1);
      try {
        await admin.query(`alter database "${database}" allow_connections false`);
        const closed = openStorage({ kind: 'postgres', url: url.toString() });
        const missing = openStorage({ kind: 'postgres', url: new URL(`/${database}_gone`, url).toString() });
        const nobody = new URL(url);
        nobody.username = 'no_such_role_for_pylon';
        const stranger = openStorage({ kind: 'postgres', url: nobody.toString() });
        for (const [storage, sqlstate] of [
          [closed, '55000'],
          [missing, '3D000'],
          [stranger, '28000'],
        ] as const) {
          const error = await sql`select 1`.execute(storage.db).catch((caught: unknown) => caught);
          await storage.close();
          expect((error as { code?: string }).code).toBe(sqlstate);
          expect(isDatabaseUnavailable(error)).toBe(true);
        }
      } finally {
        await admin.query(`alter database "${database}" allow_connections true`);
        await admin.end();
        await scratch.drop();
      }
    },
  );

  it.skipIf(!postgresAvailable)(
    'is true when no connection comes within the connect timeout, and the wait ends there',
    async () => {
      const scratch = await postgres!.create();
      const relay = await relayTo(new URL(scratch.config.url));
      relay.blackHole();
      const storage = openStorage({ kind: 'postgres', url: relay.url, connectTimeoutMs: 200 });
      try {
        const started = performance.now();
        const error = await sql`select 1`.execute(storage.db).catch((caught: unknown) => caught);
        const waited = performance.now() - started;
        expect(String((error as Error).message)).toMatch(/timeout/);
        expect(isDatabaseUnavailable(error)).toBe(true);
        // Not the operating system's TCP timeout: the configured one (with room for a slow machine).
        expect(waited).toBeLessThan(5_000);
      } finally {
        await storage.close();
        await relay.close();
        await scratch.drop();
      }
    },
  );
});

type Relay = Awaited<ReturnType<typeof relayTo>>;

/**
 * A scratch database behind a relay, opened with `options`: `work` runs with the storage and the
 * relay, then everything is closed and the database dropped.
 */
async function withRelayedStorage(
  options: { poolSize?: number; connectTimeoutMs?: number; statementTimeoutMs?: number },
  work: (storage: Storage, relay: Relay) => Promise<void>,
): Promise<void> {
  const scratch = await postgres!.create();
  const relay = await relayTo(new URL(scratch.config.url));
  const storage = openStorage({ kind: 'postgres', url: relay.url, ...options });
  try {
    await work(storage, relay);
  } finally {
    await storage.close();
    await relay.close();
    await scratch.drop();
  }
}

/** A transaction whose connection `cut` breaks between its two statements: what it failed with. */
function cutMidTransaction(storage: Storage, cut: () => void): Promise<unknown> {
  return storage.db
    .transaction()
    .execute(async (trx) => {
      await sql`select 1`.execute(trx);
      // Between two statements of a transaction: the client is checked out.
      cut();
      await sql`select 2`.execute(trx);
    })
    .then(
      () => null,
      (error: unknown) => error,
    );
}

describe.skipIf(!postgresAvailable)('a PostgreSQL connection lost while checked out', () => {
  it('fails its statement, is replaced, and raises nothing unhandled', async () => {
    await withRelayedStorage({ poolSize: 1, connectTimeoutMs: 2_000 }, async (storage, relay) => {
      const failed = await cutMidTransaction(storage, () => relay.blackHole());
      expect(isDatabaseUnavailable(failed)).toBe(true);
      relay.restore();
      // The pool's one connection was dropped on release; the next statement gets a new one.
      const { rows } = await sql<{ n: number }>`select 3 as n`.execute(storage.db);
      expect(rows).toEqual([{ n: 3 }]);
      expect(storage.poolStats()).toMatchObject({ total: 1 });
    });
  });
});

describe.skipIf(!postgresAvailable)('a PostgreSQL statement that gets no answer', () => {
  it('fails as unavailable within the statement timeout, and its connection is replaced', async () => {
    const options = { poolSize: 1, connectTimeoutMs: 2_000, statementTimeoutMs: 300 };
    await withRelayedStorage(options, async (storage, relay) => {
      expect((await sql<{ n: number }>`select 1 as n`.execute(storage.db)).rows).toEqual([{ n: 1 }]);
      relay.freeze();
      const started = performance.now();
      const error = await sql`select 2`.execute(storage.db).catch((caught: unknown) => caught);
      const waited = performance.now() - started;
      expect((error as { code?: string }).code).toBe('ETIMEDOUT');
      expect(String((error as Error).message)).toContain('PYLON_DATABASE_STATEMENT_TIMEOUT_MS');
      expect(isDatabaseUnavailable(error)).toBe(true);
      // The bound, not the kernel's TCP timeouts (hours): with room for a slow machine.
      expect(waited).toBeGreaterThanOrEqual(290);
      expect(waited).toBeLessThan(5_000);
      relay.restore();
      // The lost connection was closed, not queued behind: the pool's one slot opens a new one.
      const { rows } = await sql<{ n: number }>`select 3 as n`.execute(storage.db);
      expect(rows).toEqual([{ n: 3 }]);
      expect(storage.poolStats()).toMatchObject({ total: 1 });
    });
  });

  it('bounds a transaction statement too, and the transaction fails as unavailable', async () => {
    await withRelayedStorage({ poolSize: 1, statementTimeoutMs: 300 }, async (storage, relay) => {
      const failed = await cutMidTransaction(storage, () => relay.freeze());
      // The timeout itself, not the rollback that could not run on the closed connection.
      expect((failed as { code?: string }).code).toBe('ETIMEDOUT');
      expect(isDatabaseUnavailable(failed)).toBe(true);
      relay.restore();
      expect((await sql<{ n: number }>`select 3 as n`.execute(storage.db)).rows).toEqual([{ n: 3 }]);
    });
  });

  it('does not bound migrations, which may wait on another process for as long as it takes', async () => {
    const scratch = await postgres!.create();
    const storage = openStorage({ kind: 'postgres', url: scratch.config.url, statementTimeoutMs: 200 });
    // Another process migrating: it holds the migration lock (Kysely's advisory lock).
    const holder = new pg.Client({ connectionString: scratch.config.url });
    const observer = new pg.Client({ connectionString: scratch.config.url });
    await holder.connect();
    await observer.connect();
    try {
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
      const migrating = migrateToLatest(storage);
      // Let the migrator wait on the lock well past the bound (the database's own clock says so).
      await until(async () => {
        const { rows } = await observer.query(
          `select count(*)::int as n from pg_stat_activity
           where wait_event_type = 'Lock' and query like '%pg_advisory_xact_lock%'
             and now() - query_start > interval '600 milliseconds'`,
        );
        return rows[0].n === 1;
      });
      await holder.query('commit');
      const { error, results } = await migrating;
      expect(error).toBeUndefined();
      expect(results?.length).toBeGreaterThan(0);
      expect(results?.every((result) => result.status === 'Success')).toBe(true);
      // Once the migrations are done the bound is back: the same wait, outside a migration, fails.
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
      const bounded = await storage.db
        .transaction()
        .execute((trx) => sql`select pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK_ID)})`.execute(trx))
        .catch((caught: unknown) => caught);
      expect((bounded as { code?: string }).code).toBe('ETIMEDOUT');
      expect(isDatabaseUnavailable(bounded)).toBe(true);
      await holder.query('commit');
    } finally {
      await holder.end();
      await observer.end();
      await storage.close();
      await scratch.drop();
    }
  });
});

/** Kysely's PostgreSQL migration lock (kysely/dist/esm/dialect/postgres/postgres-adapter.js). */
const MIGRATION_LOCK_ID = '3853314791062309107';

/** Ask `condition` again, each time the event loop is free, until it holds (the test's timeout bounds it). */
async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setImmediate(resolve));
}

interface Running {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

/** `pylon-server serve` as a real process on `databaseURL`; resolves once it listens. */
async function serve(databaseURL: string, env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, [bin, 'serve'], {
    env: {
      PATH: process.env.PATH,
      PYLON_PORT: '0',
      PYLON_HOST: '127.0.0.1',
      PYLON_DATABASE_URL: databaseURL,
      PYLON_DATA_DIR: mkdtempSync(join(tmpdir(), 'pylon-unavailable-')),
      PYLON_SECRET: 'cd'.repeat(32),
      PYLON_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const listening = /server listening on (http:\/\/[^\s]+)/.exec(output);
      if (listening) resolve(listening[1]!);
    });
    void exited.then((code) =>
      reject(new Error(`pylon-server exited (${code}) before listening:\n${output}`)),
    );
  });
  return { child, url, exited };
}

describe.skipIf(!postgresAvailable)('a server whose PostgreSQL goes silent', () => {
  let scratch: ScratchDatabase;
  let relay: Awaited<ReturnType<typeof relayTo>>;
  let running: Running;
  let token: string;

  beforeAll(async () => {
    scratch = await postgres!.create();
    relay = await relayTo(new URL(scratch.config.url));
    running = await serve(relay.url, {
      PYLON_DATABASE_CONNECT_TIMEOUT_MS: '300',
      PYLON_DATABASE_STATEMENT_TIMEOUT_MS: '300',
    });
    const guest = await fetch(`${running.url}/api/auth/guest`, { method: 'POST' });
    expect(guest.status).toBe(201);
    token = ((await guest.json()) as { token: string }).token;
  });

  afterAll(async () => {
    running?.child.kill('SIGTERM');
    await running?.exited;
    await relay?.close();
    await scratch?.drop();
  });

  it('answers 503 with Retry-After on both surfaces, then serves again once it is back', async () => {
    const me = () => fetch(`${running.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    const mint = () =>
      fetch(`${running.url}/token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ app_id: 'pylon' }),
      });
    expect((await me()).status).toBe(200);

    relay.blackHole();
    const identity = await me();
    expect(identity.status).toBe(503);
    expect(identity.headers.get('retry-after')).toBe('5');
    const identityBody = (await identity.json()) as { error: { code: string; message: string } };
    expect(identityBody.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(identityBody.error.message).toContain(identity.headers.get('x-request-id')!);
    // The full pipeline (a session cookie instead of a bearer) answers the same.
    const viaCookie = await fetch(`${running.url}/api/auth/me`, {
      headers: { cookie: `pylon_session=${token}` },
    });
    expect(viaCookie.status).toBe(503);
    expect(((await viaCookie.json()) as { error: { code: string } }).error.code).toBe('SERVICE_UNAVAILABLE');
    const rbac = await mint();
    expect(rbac.status).toBe(503);
    expect(rbac.headers.get('retry-after')).toBe('5');
    expect(((await rbac.json()) as { error: string }).error).toBe('service_unavailable');
    const ready = await fetch(`${running.url}/ready`);
    expect(ready.status).toBe(503);

    relay.restore();
    expect((await me()).status).toBe(200);
  });

  it('answers 503 when its statements get no answer on open connections, then serves again', async () => {
    const me = () => fetch(`${running.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect((await me()).status).toBe(200);

    // The connections stay open and nothing comes back: no reset, no refusal.
    relay.freeze();
    const identity = await me();
    expect(identity.status).toBe(503);
    expect(identity.headers.get('retry-after')).toBe('5');
    expect(((await identity.json()) as { error: { code: string } }).error.code).toBe('SERVICE_UNAVAILABLE');
    const rbac = await fetch(`${running.url}/token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: 'pylon' }),
    });
    expect(rbac.status).toBe(503);
    expect(((await rbac.json()) as { error: string }).error).toBe('service_unavailable');

    relay.restore();
    expect((await me()).status).toBe(200);
    expect(running.child.exitCode).toBeNull();
  });
});
