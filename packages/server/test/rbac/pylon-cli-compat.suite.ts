import { prepareSchema } from '@pylon/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Body, rbacCaller } from './call.js';

export const ADMIN = 'admin-token-for-compat-tests-0123456789';

/** A Pylon server the contract suites drive over HTTP, wherever it runs. */
export interface ContractTarget {
  /** Names the target in ids the suite creates (an org per target): lowercase letters and digits. */
  kind: string;
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Move the server's clock on: a frozen clock in-process; against a real clock, nothing to do. */
  advance(ms: number): Promise<void>;
  /** The server's time now, as the suite expects it in a body: exact in-process, any number otherwise. */
  now(): unknown;
  close(): Promise<void>;
}

const SOURCE_V1 = `version_tag: "1.0.0"
capabilities:
  - name: notes.read
  - name: notes.write
archetypes:
  - name: reader
    capabilities: [notes.read]
  - name: admin
    capabilities: [notes.write]
    inherits: [reader]
`;
// `reader` removed: destructive.
const SOURCE_V2 = `version_tag: "2.0.0"
capabilities:
  - name: notes.read
  - name: notes.write
archetypes:
  - name: admin
    capabilities: [notes.read, notes.write]
`;

/**
 * The public client's behaviour, seen with pylon-cli 0.3.1 unmodified, against the RBAC service:
 * a contract suite driven over HTTP only, so it runs against every target (the server in-process on
 * SQLite and PostgreSQL, here; the Worker bundle in miniflare, in test/workers). Call it inside a
 * `describe`; `start` gives a fresh server whose admin token is ADMIN.
 */
export function pylonCliCompatSuite(start: () => Promise<ContractTarget>): void {
  let t: ContractTarget;
  let n = 0;
  const call = rbacCaller(() => t);
  const signIn = async () => {
    const email = `compat-${++n}@example.com`;
    await t.advance(61_000);
    const sent = await call('POST', '/api/auth/magic/send', { body: { email } });
    const verified = await call('POST', '/api/auth/magic/verify', {
      body: { email, code: sent.body.dev_code },
    });
    return { email, token: verified.body.token as string };
  };
  const register = async (name: string) => {
    const registered = await call('POST', '/apps', {
      token: ADMIN,
      body: { name, owner: 'ops@example.com' },
    });
    expect(registered.status).toBe(201);
    return registered.body.app_token as string;
  };

  beforeAll(async () => {
    t = await start();
  }, 120_000);
  afterAll(() => t?.close());

  it('schema listings carry the _prepared marker alone as `prepared`', async () => {
    const token = await register('listed');
    const prepared = prepareSchema(SOURCE_V1, 'listed', { cliVersion: '0.3.1' });
    expect((await call('POST', '/apps/listed/schema', { appToken: token, raw: prepared })).body.status).toBe(
      'accepted',
    );
    const marker = JSON.parse(prepared)._prepared;
    const listing = await call('GET', '/apps/listed/schema', { token: ADMIN });
    expect(listing.body.versions).toEqual([
      {
        version: 1,
        version_tag: '1.0.0',
        pushed_by: 'app:listed',
        pushed_at: t.now(),
        prepared: marker,
      },
    ]);
    const current = await call('GET', '/apps/listed/schema/current', { token: ADMIN });
    expect(current.body.prepared).toEqual(marker);
    expect(Object.keys(current.body.prepared as object).sort()).toEqual([
      'cli_version',
      'content_sha256',
      'source_sha256',
    ]);
    expect((current.body.archetypes as Array<{ name: string }>).map((a) => a.name)).toEqual([
      'listed:admin',
      'listed:reader',
    ]);
  });

  it('pushes without _prepared are accepted (shape checked when present, other _* keys refused)', async () => {
    const token = await register('sdk-pushed');
    const push = (body: unknown) =>
      call('POST', '/apps/sdk-pushed/schema', { appToken: token, raw: JSON.stringify(body) });
    const { _prepared: marker, ...unmarked } = JSON.parse(
      prepareSchema(SOURCE_V1, 'sdk-pushed', { cliVersion: '0.3.1' }),
    );
    // Unsorted, as a hand-written SDK push would be; it is stored in prepared form.
    const shuffled = { ...unmarked, archetypes: [...unmarked.archetypes].reverse() };
    const accepted = await push(shuffled);
    expect(accepted.body).toEqual({ status: 'accepted', version: 1 });
    // The same content with the marker is the same version: no new one.
    expect((await push({ ...unmarked, _prepared: marker })).body).toEqual({ status: 'accepted', version: 1 });
    const listing = await call('GET', '/apps/sdk-pushed/schema', { token: ADMIN });
    expect((listing.body.versions as Body[])[0]).not.toHaveProperty('prepared');

    const refused = async (body: unknown, code = 'invalid_schema') => {
      const answer = await push(body);
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(code === 'invalid_schema' ? 400 : 422);
      expect(answer.body.error).toBe(code);
    };
    await refused({ ...unmarked, _signature: 'x' });
    await refused({ ...unmarked, _prepared: marker, _signature: 'x' });
    await refused({ ...unmarked, _prepared: { ...marker, cli_version: 'latest' } });
    await refused({ ...unmarked, _prepared: { ...marker, cli_version: '' } });
    await refused({ ...unmarked, _prepared: { ...marker, source_sha256: 'abc' } });
    await refused({ ...unmarked, _prepared: { ...marker, content_sha256: 'F'.repeat(64) } });
    await refused({ ...unmarked, _prepared: null });
    await refused({ ...unmarked, capabilities: 'notes.read' });
    await refused({ ...unmarked, extra: true });
    await refused([unmarked]);
    await refused({
      ...unmarked,
      archetypes: [{ name: 'sdk-pushed:x', capabilities: ['sdk-pushed:missing'] }],
    });
    await refused(
      JSON.parse(prepareSchema(SOURCE_V1, 'other', { cliVersion: '0.3.1' })),
      'namespace_violation',
    );
    const { _prepared: _m, ...foreign } = JSON.parse(
      prepareSchema(SOURCE_V1, 'other', { cliVersion: '0.3.1' }),
    );
    await refused(foreign, 'namespace_violation');
  });

  it('re-registering a disabled app rotates its token and re-enables it; an active one is app_exists', async () => {
    const first = await register('phoenix');
    const again = await call('POST', '/apps', {
      token: ADMIN,
      body: { name: 'phoenix', owner: 'ops@example.com' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('app_exists');
    expect((await call('DELETE', '/apps/phoenix', { token: ADMIN })).body.status).toBe('disabled');

    await t.advance(1_000);
    const back = await call('POST', '/apps', {
      token: ADMIN,
      body: { name: 'phoenix', owner: 'ops@example.com' },
    });
    expect(back.status).toBe(200);
    expect(back.body).toEqual({ app_id: 'phoenix', app_token: expect.stringMatching(/^pyat_/) });
    expect(back.body.app_token).not.toBe(first);
    const listed = await call('GET', '/apps', { token: ADMIN });
    expect((listed.body.apps as Body[]).find((app) => app.app_id === 'phoenix')?.status).toBe('active');
    const schema = prepareSchema(SOURCE_V1, 'phoenix', { cliVersion: '0.3.1' });
    expect((await call('POST', '/apps/phoenix/schema', { appToken: first, raw: schema })).body.error).toBe(
      'app_token_invalid',
    );
    expect(
      (await call('POST', '/apps/phoenix/schema', { appToken: back.body.app_token as string, raw: schema }))
        .status,
    ).toBe(200);
    const active = await call('POST', '/apps', {
      token: ADMIN,
      body: { name: 'phoenix', owner: 'ops@example.com' },
    });
    expect(active.body.error).toBe('app_exists');

    const audit = await call('GET', '/audit?action=app.token_rotated', { token: ADMIN });
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({ target: 'phoenix', detail: { via: 'register', re_enabled: true } }),
    );
    const enabled = await call('GET', '/audit?action=app.enabled', { token: ADMIN });
    expect((enabled.body.entries as Body[]).map((entry) => entry.target)).toEqual(['phoenix']);
  });

  it("a bare archetype (and capability) in a grant means the app's own", async () => {
    const token = await register('granted');
    await call('POST', '/apps/granted/schema', {
      appToken: token,
      raw: prepareSchema(SOURCE_V1, 'granted', { cliVersion: '0.3.1' }),
    });
    const person = await signIn();
    const grant = await call('POST', '/roles', {
      token: ADMIN,
      body: { email: person.email, app_id: 'granted', archetype: 'reader', capabilities: ['notes.write'] },
    });
    expect(grant.status).toBe(200);
    expect(grant.body.archetype).toBe('granted:reader');
    const roles = await call('GET', '/roles?app_id=granted', { token: ADMIN });
    expect(roles.body.roles).toEqual([
      expect.objectContaining({ archetype: 'granted:reader', capabilities: ['granted:notes.write'] }),
    ]);
    const minted = await call('POST', '/token', { token: person.token, body: { app_id: 'granted' } });
    const [, payload] = (minted.body.scoped_token as string).split('.');
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString()).caps).toEqual([
      'granted:notes.read',
      'granted:notes.write',
    ]);
    // Still checked against the schema, prefixed or not; another app's names are not this app's.
    for (const archetype of ['nope', 'granted:nope', 'other:reader']) {
      const bad = await call('POST', '/roles', {
        token: ADMIN,
        body: { email: person.email, app_id: 'granted', archetype },
      });
      expect(bad.body.error, archetype).toBe('invalid_archetype');
    }
    // The built-in app's archetypes are not prefixed.
    const pylon = await call('POST', '/roles', {
      token: ADMIN,
      body: { email: person.email, app_id: 'pylon', archetype: 'pylon-auditor' },
    });
    expect(pylon.body.archetype).toBe('pylon-auditor');
  });

  it('GET /audit without since gives the newest entries, oldest of them first', async () => {
    const all = await call('GET', '/audit?since=0&limit=1000', { token: ADMIN });
    const entries = all.body.entries as Body[];
    expect(entries.length).toBeGreaterThan(3);
    const latest = await call('GET', '/audit?limit=3', { token: ADMIN });
    expect(latest.body.entries).toEqual(entries.slice(-3));
    expect(latest.body).not.toHaveProperty('next_cursor');
    const latestGrant = await call('GET', '/audit?limit=1&action=role.granted', { token: ADMIN });
    expect(latestGrant.body.entries).toEqual(entries.filter((e) => e.action === 'role.granted').slice(-1));
    // With since, still a page from there on, continued by the cursor.
    const fromStart = await call('GET', '/audit?since=0&limit=2', { token: ADMIN });
    expect(fromStart.body.entries).toEqual(entries.slice(0, 2));
    expect(fromStart.body.next_cursor).toEqual(expect.any(String));
  });

  it('a pending version can be withdrawn; then later pushes are taken again', async () => {
    const token = await register('withdrawn');
    const push = (source: string) =>
      call('POST', '/apps/withdrawn/schema', {
        appToken: token,
        raw: prepareSchema(source, 'withdrawn', { cliVersion: '0.3.1' }),
      });
    expect((await call('DELETE', '/apps/withdrawn/schema/pending', { token: ADMIN })).body.error).toBe(
      'nothing_pending',
    );
    await push(SOURCE_V1);
    expect((await push(SOURCE_V2)).body.status).toBe('pending_approval');
    expect((await push(SOURCE_V1.replace('1.0.0', '1.0.1'))).body.error).toBe('schema_pending');

    const outsider = await signIn();
    const denied = await call('DELETE', '/apps/withdrawn/schema/pending', { token: outsider.token });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toBe('insufficient_capability');
    expect(
      (await call('DELETE', '/apps/withdrawn/schema/pending', { appToken: 'pyat_wrong' })).body.error,
    ).toBe('app_token_invalid');
    expect((await call('DELETE', '/apps/ghost/schema/pending', { token: ADMIN })).body.error).toBe(
      'app_not_found',
    );

    const withdrawn = await call('DELETE', '/apps/withdrawn/schema/pending', { appToken: token });
    expect(withdrawn.body).toEqual({ status: 'withdrawn', version: 2, current_version: 1 });
    const listing = await call('GET', '/apps/withdrawn/schema', { token: ADMIN });
    expect(listing.body).toMatchObject({ current_version: 1, pending_version: null });
    expect((await push(SOURCE_V1.replace('1.0.0', '1.0.1'))).body).toEqual({
      status: 'accepted',
      version: 3,
    });

    // A person with the approver's capability may withdraw too.
    expect((await push(SOURCE_V2)).body.status).toBe('pending_approval');
    expect((await call('DELETE', '/apps/withdrawn/schema/pending', { token: ADMIN })).body.version).toBe(4);
    expect(
      (await call('POST', '/apps/withdrawn/schema/approve-migration', { token: ADMIN, body: { version: 4 } }))
        .body.error,
    ).toBe('nothing_pending');
    // So may a person who holds it, and the entry names them by their user id (API.md: actor_id).
    const approver = await signIn();
    await call('POST', '/roles', {
      token: ADMIN,
      body: { email: approver.email, app_id: 'pylon', archetype: 'pylon-admin' },
    });
    expect((await push(SOURCE_V2)).body.status).toBe('pending_approval');
    expect(
      (await call('DELETE', '/apps/withdrawn/schema/pending', { token: approver.token })).body.version,
    ).toBe(5);
    const audit = await call('GET', '/audit?action=schema.withdrawn', { token: ADMIN });
    expect(audit.body.entries).toEqual([
      expect.objectContaining({
        actor: 'app:withdrawn',
        actor_type: 'app',
        actor_id: 'withdrawn',
        target: 'withdrawn',
        detail: { version: 2, version_tag: '2.0.0' },
      }),
      expect.objectContaining({
        actor: 'admin',
        actor_id: null,
        detail: { version: 4, version_tag: '2.0.0' },
      }),
      expect.objectContaining({
        actor: approver.email,
        actor_type: 'user',
        actor_id: expect.stringMatching(/^usr_/),
        detail: { version: 5, version_tag: '2.0.0' },
      }),
    ]);
  });

  it("reading an app's schemas needs membership of its org (or a pylon:* capability)", async () => {
    const owner = await signIn();
    const org = await call('POST', '/api/auth/orgs', {
      token: owner.token,
      body: { name: 'Readers', id: `readers-${t.kind}` },
    });
    const base = `/o/${org.body.id}`;
    const registered = await call('POST', `${base}/apps`, {
      token: owner.token,
      body: { name: 'secret', owner: owner.email },
    });
    await call('POST', `${base}/apps/secret/schema`, {
      appToken: registered.body.app_token as string,
      raw: prepareSchema(SOURCE_V1, 'secret', { cliVersion: '0.3.1' }),
    });
    const stranger = await signIn();
    for (const path of ['/apps/secret/schema', '/apps/secret/schema/current']) {
      const refused = await call('GET', `${base}${path}`, { token: stranger.token });
      expect(refused.status, path).toBe(403);
      expect(refused.body.error).toBe('insufficient_capability');
      expect((await call('GET', `${base}${path}`, { token: owner.token })).status, path).toBe(200);
      expect((await call('GET', `${base}${path}`, { token: ADMIN })).status, path).toBe(200);
      expect((await call('GET', `${base}${path}`)).body.error, path).toBe('no_session');
    }
    const diff = await call('POST', `${base}/apps/secret/schema/diff`, {
      token: stranger.token,
      raw: prepareSchema(SOURCE_V2, 'secret', { cliVersion: '0.3.1' }),
    });
    expect(diff.body.error).toBe('insufficient_capability');
    // An auditor grant without membership is a pylon:* capability: it reads.
    await call('POST', `${base}/roles`, {
      token: owner.token,
      body: { email: stranger.email, app_id: 'pylon', archetype: 'pylon-auditor' },
    });
    expect((await call('GET', `${base}/apps/secret/schema`, { token: stranger.token })).status).toBe(200);
  });
}
