import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ADMIN = 'admin-token-for-audit-tamper-0123456789';
type Body = Record<string, unknown>;

/**
 * What someone with write access to the database can do to the audit log, seen over HTTP: the
 * verification report names it, the log stays readable, and writes refuse to build on a forgery.
 */
describe.each(testDatabases)('audit tampering over HTTP on $kind', (database) => {
  let t: TestServer;
  let org: string;
  let logs: Record<string, unknown>[];
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
  const headOf = async (of: string) =>
    Number(
      (
        await t.storage.db
          .selectFrom('audit_chain_heads')
          .select('seq')
          .where('org', '=', of)
          .executeTakeFirstOrThrow()
      ).seq,
    );
  const forge = (of: string, seq: number) =>
    sql`insert into audit_events (ts, org, action, actor, actor_type, target, detail, seq, hash)
        values (${t.clock.now()}, ${of}, 'role.granted', 'admin', 'admin', 'mallory@example.com',
                '{"role":"owner"}', ${seq}, '00')`.execute(t.storage.db);

  beforeEach(async () => {
    logs = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs.push(JSON.parse(String(chunk)));
        done();
      },
    });
    t = await startTestServer(database, {
      env: { PYLON_ADMIN_TOKEN: ADMIN },
      logger: pino({ level: 'info' }, sink),
    });
    org = (await json(await get('/discover'))).id as string;
    for (const name of ['first', 'second', 'third', 'fourth', 'fifth', 'sixth']) {
      t.clock.advance(1000);
      expect((await post('/apps', { name, owner: 'owner@example.com' })).status).toBe(201);
    }
  });
  afterEach(() => t.close());

  it('a deleted prefix hidden by moving the pruned head: ok:false, prune_unrecorded', async () => {
    const head = await headOf(org);
    expect(head).toBeGreaterThan(4);
    await sql`update audit_chain_heads set pruned_seq = 3,
                pruned_hash = (select hash from audit_events where org = ${org} and seq = 3)
              where org = ${org}`.execute(t.storage.db);
    await sql`delete from audit_events where org = ${org} and seq <= 3`.execute(t.storage.db);
    expect(await verify()).toMatchObject({
      ok: false,
      pruned_through: 3,
      checked: head - 3,
      first_broken: { seq: 3, id: null, reason: 'prune_unrecorded' },
    });
  });

  it('a forged entry after the head: listed, reported as outside_chain, and audited writes answer audit_chain_broken', async () => {
    const head = await headOf(org);
    await forge(org, head + 1);
    const listed = await entries();
    expect(listed.filter((entry) => entry.target === 'mallory@example.com')).toHaveLength(1);
    const report = await verify();
    expect(report).toMatchObject({
      ok: false,
      outside_chain: 1,
      first_broken: { seq: head + 1, reason: 'outside_chain' },
    });

    const refused = await post('/apps', { name: 'seventh', owner: 'owner@example.com' });
    expect(refused.status).toBe(500);
    const body = await json(refused);
    expect(body.error).toBe('audit_chain_broken');
    expect(body.message).toContain('pylon audit verify');
    expect(body.message).not.toContain('mallory');
    // Nothing of the change was made, and the operator's log says where the chain is blocked.
    const apps = (await json(await get('/apps'))).apps as Body[];
    expect(apps.map((app) => app.app_id)).not.toContain('seventh');
    expect(await headOf(org)).toBe(head);
    const logged = logs.find((line) => line.code === 'audit_chain_broken');
    expect(logged).toMatchObject({ level: 50 });
    expect(JSON.stringify(logged)).toContain(`place ${head + 1}`);
  });

  it('a forged entry at the next place of the deployment chain refuses sign-ins with AUDIT_CHAIN_BROKEN', async () => {
    const email = `tamper-${database.kind}@example.com`;
    expect((await signIn(email)).status).toBe(200);
    t.clock.advance(61_000);
    const sent = await json(await post('/api/auth/magic/send', { email }, null));
    await forge('*', (await headOf('*')) + 1);
    const refused = await post('/api/auth/magic/verify', { email, code: sent.dev_code }, null);
    expect(refused.status).toBe(500);
    expect(((await json(refused)).error as Body).code).toBe('AUDIT_CHAIN_BROKEN');
    expect(await verify('/api/auth/audit/deployment/verify')).toMatchObject({
      ok: false,
      first_broken: { reason: 'outside_chain' },
    });
  });

  it.each([
    ['place 0', 0],
    ['a negative place', -7],
  ])('a forged entry at %s: outside_chain', async (_, seq) => {
    await forge(org, seq);
    expect(await verify()).toMatchObject({
      ok: false,
      outside_chain: 1,
      first_broken: { seq, reason: 'outside_chain' },
    });
  });

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
