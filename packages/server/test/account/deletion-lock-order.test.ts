import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const postgres = testDatabases.find((database) => database.kind === 'postgres');

/**
 * Account deletion takes the user's row before anything else, as disabling a user does, so the two
 * run at once wait for each other instead of deadlocking (PostgreSQL aborts one of a deadlocked
 * pair: a 500). Shown by holding the user's row from outside: the deletion must be waiting for that
 * row (UserStore.lock's no-op update) before it has touched a session.
 */
describe.runIf(postgres)('account deletion lock order on postgres', () => {
  let t: TestServer;
  let outside: pg.Client;

  beforeAll(async () => {
    t = await startTestServer(postgres!);
    outside = new pg.Client({ connectionString: (t.scratch.config as { url: string }).url });
    await outside.connect();
  });
  afterAll(async () => {
    await outside.end();
    await t.close();
  });

  /** The statement of the server's connection that waits for a lock, once there is one. */
  const waitingStatement = async (): Promise<string> => {
    for (;;) {
      // Inside a transaction the activity view is a snapshot taken once: take a fresh one each time.
      await outside.query('select pg_stat_clear_snapshot()');
      const { rows } = await outside.query<{ query: string }>(
        `select query from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()
            and state = 'active' and wait_event_type = 'Lock'`,
      );
      if (rows[0]) return rows[0].query;
      await new Promise((resolve) => setImmediate(resolve));
    }
  };

  it('waits for the user row first, then completes once it is free', async () => {
    const registered = await t.request('/api/auth/password/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'locked@example.com', password: 'a lock-order password' }),
    });
    const { token, user_id } = (await registered.json()) as { token: string; user_id: string };

    await outside.query('begin');
    const held = await outside.query('select id from users where id = $1 for update', [user_id]);
    expect(held.rowCount).toBe(1);
    const deletion = t.request('/api/auth/account', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    const statement = (await waitingStatement()).toLowerCase();
    expect(statement).toBe('update "users" set "id" = "id" where "id" = $1');
    const sessionLocks = await outside.query(
      `select 1 from pg_locks l join pg_class c on c.oid = l.relation
        where c.relname = 'sessions' and l.mode = 'RowExclusiveLock' and l.pid <> pg_backend_pid()`,
    );
    expect(sessionLocks.rowCount).toBe(0);
    await outside.query('rollback');
    const answer = await deletion;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ deleted: true });
  });
});
