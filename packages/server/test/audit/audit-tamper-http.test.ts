import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ADMIN = 'admin-token-for-audit-tamper-0123456789';
type Body = Record<string, unknown>;

/**
 * What someone with write access to the database can do to the audit log, seen over HTTP: the
 * verification report names it, and the log stays readable.
 */
describe.each(testDatabases)('audit tampering over HTTP on $kind', (database) => {
  let t: TestServer;
  let org: string;
  const json = async (response: Response) => (await response.json()) as Body;
  const get = (path: string) => t.request(path, { headers: { authorization: `Bearer ${ADMIN}` } });
  const post = (path: string, body: unknown, token: string | null = ADMIN) =>
    t.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const verify = async (path = '/audit/verify') => {
    const response = await get(path);
    expect(response.status).toBe(200);
    return json(response);
  };
  const entries = async (path = '/audit?since=0&limit=1000') => {
    const response = await get(path);
    expect(response.status).toBe(200);
    return (await json(response)).entries as Body[];
  };
  const signIn = async (email: string) => {
    t.clock.advance(61_000);
    const sent = await json(await post('/api/auth/magic/send', { email }, null));
    return post('/api/auth/magic/verify', { email, code: sent.dev_code }, null);
  };

  beforeEach(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    org = (await json(await get('/discover'))).id as string;
    for (const name of ['first', 'second', 'third', 'fourth', 'fifth', 'sixth']) {
      t.clock.advance(1000);
      expect((await post('/apps', { name, owner: 'owner@example.com' })).status).toBe(201);
    }
  });
  afterEach(() => t.close());

  it.each(['null', '{'])(
    'erased = %s: verify reports erasure_invalid, and the log and its export stay readable',
    async (erased) => {
      await sql`update audit_events set erased = ${erased} where org = ${org} and seq = 5`.execute(
        t.storage.db,
      );
      const report = await verify();
      expect(report).toMatchObject({ ok: false, first_broken: { seq: 5, reason: 'erasure_invalid' } });
      const fifth = (await entries()).find((entry) => entry.seq === 5)!;
      expect(fifth).not.toHaveProperty('erased');
      expect(fifth.undecodable).toEqual({ erased });
      expect((await entries('/audit')).length).toBeGreaterThan(5);
    },
  );

  it('a malformed detail: verify names the entry, and GET /audit shows its stored text marked undecodable', async () => {
    await sql`update audit_events set detail = ${'{bad json'} where org = ${org} and seq = 4`.execute(
      t.storage.db,
    );
    expect(await verify()).toMatchObject({ ok: false, first_broken: { seq: 4, reason: 'hash_mismatch' } });
    for (const path of ['/audit?since=0&limit=1000', '/audit']) {
      const fourth = (await entries(path)).find((entry) => entry.seq === 4)!;
      expect(fourth).not.toHaveProperty('detail');
      expect(fourth.undecodable).toEqual({ detail: '{bad json' });
    }
    // The deployment audit reads through the same path.
    expect((await signIn(`reader-${database.kind}@example.com`)).status).toBe(200);
    await sql`update audit_events set detail = ${'[1'} where org = '*' and seq = 1`.execute(t.storage.db);
    const deployment = await entries('/api/auth/audit/deployment?since=0');
    expect(deployment.find((entry) => entry.seq === 1)?.undecodable).toEqual({ detail: '[1' });
  });
});
