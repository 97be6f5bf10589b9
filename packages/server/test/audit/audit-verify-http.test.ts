import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ADMIN = 'admin-token-for-audit-verify-0123456789';
type Body = Record<string, unknown>;
type Entry = Body & { seq: number; hash: string };

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The offline re-check of an export as docs/OPERATIONS.md describes it, written from that
 * description (not from the server's code): sort by `seq`, and for each entry hash the previous
 * hash followed by the canonical JSON array of its fields. Returns the first place that does not
 * hold, or the head it arrives at.
 */
function recheck(
  entries: Entry[],
  start = '0'.repeat(64),
): { head: string; seq: number } | { broken: number } {
  const personal = (entry: Entry, field: 'actor' | 'target' | 'target_email') => {
    const erased = entry.erased as Record<string, string> | undefined;
    if (erased?.[field] !== undefined) return erased[field];
    const value = entry[field] as string | undefined;
    return value === undefined ? null : sha256(`pylon-audit-field\n${value}`);
  };
  let previous = start;
  let seq = 0;
  for (const entry of [...entries].sort((a, b) => a.seq - b.seq)) {
    if (seq !== 0 && entry.seq !== seq + 1) return { broken: seq + 1 };
    const canonical = JSON.stringify([
      'pylon-audit-v1',
      entry.org,
      entry.seq,
      entry.ts,
      entry.action,
      personal(entry, 'actor'),
      entry.actor_type,
      entry.actor_id,
      personal(entry, 'target'),
      personal(entry, 'target_email'),
      entry.target_hash ?? null,
      entry.detail === undefined
        ? ((entry.undecodable as { detail?: string } | undefined)?.detail ?? null)
        : JSON.stringify(entry.detail),
      entry.ip,
      entry.request_id,
    ]);
    const hash = createHash('sha256').update(previous, 'utf8').update(canonical, 'utf8').digest('hex');
    if (hash !== entry.hash) return { broken: entry.seq };
    previous = hash;
    seq = entry.seq;
  }
  return { head: previous, seq };
}

/** `GET /audit/verify` over HTTP, and the chain fields of `GET /audit` that let an export be re-checked. */
describe.each(testDatabases)('GET /audit/verify on $kind', (database) => {
  let t: TestServer;
  let org: string;
  const json = async (response: Response) => (await response.json()) as Body;
  const get = (path: string, token?: string) =>
    t.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const post = (path: string, token: string | null, body: unknown) =>
    t.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const signIn = async (email: string) => {
    t.clock.advance(61_000);
    const sent = await json(await post('/api/auth/magic/send', null, { email }));
    const done = await json(await post('/api/auth/magic/verify', null, { email, code: sent.dev_code }));
    return { email, token: done.token as string };
  };
  const verify = async (query = '', token = ADMIN) => {
    const response = await get(`/audit/verify${query}`, token);
    expect(response.status).toBe(200);
    return json(response);
  };
  const orgEntries = async () => {
    const response = await get('/audit?since=0&limit=1000', ADMIN);
    expect(response.status).toBe(200);
    return (await json(response)).entries as Entry[];
  };
  const idAt = async (seq: number) =>
    Number(
      (
        await t.storage.db
          .selectFrom('audit_events')
          .select('id')
          .where('org', '=', org)
          .where('seq', '=', seq)
          .executeTakeFirstOrThrow()
      ).id,
    );

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    org = (await json(await get('/discover'))).id as string;
    for (const name of ['first', 'second', 'third']) {
      t.clock.advance(1000);
      expect((await post('/apps', ADMIN, { name, owner: 'owner@example.com' })).status).toBe(201);
    }
  });
  afterAll(() => t.close());

  it('reports an intact chain as ok, from the first place to the head', async () => {
    const report = await verify();
    expect(report).toMatchObject({ ok: true, org, from: 1, pruned_through: 0 });
    const head = report.head as { seq: number; hash: string };
    expect(head.seq).toBeGreaterThanOrEqual(3);
    expect(head.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(report.checked).toBe(head.seq);
    expect(report).not.toHaveProperty('first_broken');
    const later = await verify('?from=2');
    expect(later).toMatchObject({ ok: true, from: 2, checked: head.seq - 1 });
  });

  it('is refused without pylon:audit.read, and answers once it is granted', async () => {
    expect((await get('/audit/verify')).status).toBe(401);
    const person = await signIn(`auditor-${database.kind}@example.com`);
    const refused = await get('/audit/verify', person.token);
    expect(refused.status).toBe(403);
    expect((await json(refused)).error).toBe('insufficient_capability');
    const granted = await post('/roles', ADMIN, {
      email: person.email,
      app_id: 'pylon',
      archetype: 'pylon-auditor',
    });
    expect(granted.status).toBe(200);
    expect(await verify('', person.token)).toMatchObject({ ok: true, org });
  });

  it('refuses a place that is not a whole number of 1 or more', async () => {
    for (const from of ['0', '-1', '1.5', 'two']) {
      const response = await get(`/audit/verify?from=${from}`, ADMIN);
      expect(response.status, from).toBe(400);
      expect((await json(response)).error).toBe('validation_failed');
    }
  });

  it("the org's entries carry seq and hash, and re-checked offline they arrive at the head the server reports", async () => {
    const entries = await orgEntries();
    expect(entries.length).toBeGreaterThan(3);
    for (const entry of entries) {
      expect(entry.seq).toBeGreaterThan(0);
      expect(entry.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(entry).toHaveProperty('ip');
      expect(entry).toHaveProperty('request_id');
    }
    const report = await verify();
    expect(recheck(entries)).toEqual({
      head: (report.head as { hash: string }).hash,
      seq: (report.head as { seq: number }).seq,
    });
    // An export edited after the fact does not re-check.
    const edited = entries.map((entry) => (entry.seq === 2 ? { ...entry, actor: 'someone-else' } : entry));
    expect(recheck(edited)).toEqual({ broken: 2 });
    const gap = entries.filter((entry) => entry.seq !== 2);
    expect(recheck(gap)).toEqual({ broken: 2 });
  });

  it("a person's own audit does not carry the chain fields", async () => {
    const person = await signIn(`self-${database.kind}@example.com`);
    const response = await get('/api/auth/audit', person.token);
    expect(response.status).toBe(200);
    const own = (await json(response)).entries as Body[];
    expect(own.length).toBeGreaterThan(0);
    for (const entry of own) {
      expect(entry).not.toHaveProperty('ip');
      expect(entry).not.toHaveProperty('hash');
    }
  });

  it('names the first broken link once a stored entry is changed, and again once one is deleted', async () => {
    const tampered = await idAt(2);
    await sql`update audit_events set detail = ${'{"tampered":true}'} where id = ${tampered}`.execute(
      t.storage.db,
    );
    const report = await verify();
    expect(report).toMatchObject({
      ok: false,
      org,
      first_broken: { seq: 2, id: tampered, reason: 'hash_mismatch' },
    });
    expect(report.checked).toBe(1);
    // Starting after it trusts the stored hash before `from`, as a checkpoint would.
    expect(await verify('?from=3')).toMatchObject({ ok: true, from: 3 });

    const deleted = await idAt(3);
    await sql`delete from audit_events where id = ${deleted}`.execute(t.storage.db);
    expect(await verify('?from=3')).toMatchObject({
      ok: false,
      first_broken: { seq: 3, id: null, reason: 'missing' },
    });
  });
});

/** The deployment's own chain (sign-ins, sign-ups: org `*`): the same verification and export fields. */
describe.each(testDatabases)('GET /api/auth/audit/deployment/verify on $kind', (database) => {
  let t: TestServer;
  const json = async (response: Response) => (await response.json()) as Body;
  const get = (path: string, token?: string) =>
    t.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const signIn = async (email: string) => {
    t.clock.advance(61_000);
    const post = (path: string, body: unknown) =>
      t.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const sent = await json(await post('/api/auth/magic/send', { email }));
    const done = await json(await post('/api/auth/magic/verify', { email, code: sent.dev_code }));
    return done.token as string;
  };
  const verify = async (query = '') => {
    const response = await get(`/api/auth/audit/deployment/verify${query}`, ADMIN);
    expect(response.status).toBe(200);
    return json(response);
  };

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    for (const name of ['one', 'two', 'three']) await signIn(`deployment-${name}@example.com`);
  });
  afterAll(() => t.close());

  it('verifies the chain; its entries re-check offline to the reported head', async () => {
    const report = await verify();
    expect(report).toMatchObject({ ok: true, org: '*', from: 1 });
    const head = report.head as { seq: number; hash: string };
    expect(head.seq).toBeGreaterThanOrEqual(3);
    const page = await get('/api/auth/audit/deployment?since=0&limit=1000', ADMIN);
    const entries = (await json(page)).entries as Entry[];
    for (const entry of entries) expect(entry.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(recheck(entries)).toEqual({ head: head.hash, seq: head.seq });
    expect(await verify('?from=2')).toMatchObject({ ok: true, from: 2, checked: head.seq - 1 });
  });

  it('is for deployment admins only, and refuses a place that is not 1 or more', async () => {
    expect((await get('/api/auth/audit/deployment/verify')).status).toBe(401);
    const person = await signIn(`not-admin-${database.kind}@example.com`);
    const refused = await get('/api/auth/audit/deployment/verify', person);
    expect(refused.status).toBe(403);
    expect((await json(refused)).error).toMatchObject({ code: 'FORBIDDEN' });
    for (const from of ['0', '1.5', 'x']) {
      const response = await get(`/api/auth/audit/deployment/verify?from=${from}`, ADMIN);
      expect(response.status, from).toBe(400);
      expect((await json(response)).error).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });

  it('names the first broken link once a deployment entry is changed', async () => {
    const row = await t.storage.db
      .selectFrom('audit_events')
      .select('id')
      .where('org', '=', '*')
      .where('seq', '=', 2)
      .executeTakeFirstOrThrow();
    await sql`update audit_events set action = ${'auth.sign_out'} where id = ${row.id}`.execute(t.storage.db);
    expect(await verify()).toMatchObject({
      ok: false,
      org: '*',
      first_broken: { seq: 2, id: Number(row.id), reason: 'hash_mismatch' },
    });
  });
});
