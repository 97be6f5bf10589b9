import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Body = Record<string, unknown> & { error?: { code: string } | string };
const ADMIN = 'admin-token-for-key-tests-0123456789';
/** The deployment audit's entries by one actor, as the admin token reads them over HTTP. */
async function deploymentAuditOf(t: TestServer, actorId: string) {
  const response = await t.request('/api/auth/audit/deployment?since=0&limit=1000', {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  expect(response.status).toBe(200);
  const { entries } = (await response.json()) as {
    entries: Array<{ action: string; actor_id: string | null; detail?: Record<string, unknown> }>;
  };
  return entries.filter((e) => e.actor_id === actorId);
}

describe.each(testDatabases)('API keys on $kind', (database) => {
  let t: TestServer;
  let n = 0;
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const response = await t.request(path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };
  const code = (body: Body) => (typeof body.error === 'string' ? body.error : body.error?.code);
  const person = async () => {
    const email = `keys${++n}-${database.kind}@example.com`;
    t.clock.advance(61_000);
    const sent = await call('POST', '/api/auth/magic/send', undefined, { email });
    const verified = await call('POST', '/api/auth/magic/verify', undefined, {
      email,
      code: sent.body.dev_code,
    });
    return { email, token: verified.body.token as string, userId: verified.body.user_id as string };
  };

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
  });
  afterAll(() => t.close());

  it('creates a key shown once, acting as its owner; only a keyed hash is stored', async () => {
    const owner = await person();
    const created = await call('POST', '/api/auth/api-keys', owner.token, { name: 'ci' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      key: expect.stringMatching(/^pk\.key_[0-9a-f]{24}\.[A-Za-z0-9_-]{43}$/),
      id: expect.stringMatching(/^key_/),
      prefix: expect.stringMatching(/^pk\.key_/),
      name: 'ci',
      scopes: [],
      expires_at: null,
    });
    const key = created.body.key as string;
    const me = await call('GET', '/api/auth/me', key);
    expect(me.body).toMatchObject({ userId: owner.userId, email: owner.email, authMethod: 'api_key' });
    // Only the raw rows show what is at rest.
    const stored = JSON.stringify(await t.storage.db.selectFrom('api_keys').selectAll().execute());
    expect(stored).not.toContain(key.split('.')[2]);
    const listed = await call('GET', '/api/auth/api-keys', owner.token);
    expect(JSON.stringify(listed.body)).not.toContain(key.split('.')[2]);
    expect((listed.body as unknown as Array<{ id: string }>)[0]!.id).toBe(created.body.id);
  });

  it('refuses tampered, unknown, malformed and query-string keys', async () => {
    const owner = await person();
    const key = (await call('POST', '/api/auth/api-keys', owner.token, {})).body.key as string;
    const tampered = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [
      tampered,
      'pk.key_000000000000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'pk.nonsense',
    ]) {
      const answer = await call('GET', '/api/auth/me', bad);
      expect(answer.status, bad).toBe(401);
      expect(code(answer.body)).toBe('INVALID_API_KEY');
    }
    const inQuery = await call('GET', `/api/auth/me?api_key=${encodeURIComponent(key)}`);
    expect(code(inQuery.body)).toBe('INVALID_API_KEY');
  });

  it('is refused at once after revoke and after expiry; another user cannot revoke it', async () => {
    const owner = await person();
    const other = await person();
    const created = await call('POST', '/api/auth/api-keys', owner.token, {
      expires_at: Math.floor(t.clock.now() / 1000) + 60,
    });
    const key = created.body.key as string;
    expect((await call('GET', '/api/auth/me', key)).body.userId).toBe(owner.userId);
    t.clock.advance(60_000);
    expect(code((await call('GET', '/api/auth/me', key)).body)).toBe('API_KEY_EXPIRED');

    const second = await call('POST', '/api/auth/api-keys', owner.token, {});
    expect(code((await call('DELETE', `/api/auth/api-keys/${second.body.id}`, other.token)).body)).toBe(
      'API_KEY_NOT_FOUND',
    );
    expect((await call('DELETE', `/api/auth/api-keys/${second.body.id}`, owner.token)).body).toEqual({
      id: second.body.id,
      revoked: true,
    });
    expect(code((await call('GET', '/api/auth/me', second.body.key as string)).body)).toBe('INVALID_API_KEY');
    expect(code((await call('POST', '/api/auth/api-keys', owner.token, { expires_at: 1 })).body)).toBe(
      'VALIDATION_FAILED',
    );
    const actions = (await deploymentAuditOf(t, owner.userId)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['api_key.created', 'api_key.revoked']));
  });

  it('refuses a name that hides characters, a scope that names no capability, an expiry in milliseconds', async () => {
    const owner = await person();
    const nowSeconds = Math.floor(t.clock.now() / 1000);
    const refused = [
      { name: 'evil\u202e\u0000' },
      { name: 'zero\u200bwidth' },
      { name: 'two\u2028lines' },
      { scopes: ['*'] },
      { scopes: ['pylon:*'] },
      { scopes: ['notes'] },
      { scopes: ['Notes:Read'] },
      { expires_at: t.clock.now() + 86_400_000 },
      { expires_at: nowSeconds + 11 * 365 * 86_400 },
    ];
    for (const body of refused) {
      const answer = await call('POST', '/api/auth/api-keys', owner.token, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(code(answer.body)).toBe('VALIDATION_FAILED');
    }
    expect((await call('GET', '/api/auth/api-keys', owner.token)).body).toEqual([]);
    const fine = await call('POST', '/api/auth/api-keys', owner.token, {
      name: 'CI — déploiement',
      scopes: ['notes:note.read', 'pylon:audit.read'],
      expires_at: nowSeconds + 9 * 365 * 86_400,
    });
    expect(fine.status).toBe(201);
  });

  it('cannot manage keys, TOTP, sessions or orgs', async () => {
    const owner = await person();
    const key = (await call('POST', '/api/auth/api-keys', owner.token, {})).body.key as string;
    for (const [method, path] of [
      ['POST', '/api/auth/api-keys'],
      ['GET', '/api/auth/api-keys'],
      ['POST', '/api/auth/totp/enroll'],
      ['GET', '/api/auth/sessions'],
      ['DELETE', '/api/auth/sessions'],
      ['POST', '/api/auth/orgs'],
      ['GET', '/api/auth/orgs'],
    ] as const) {
      const answer = await call(method, path, key, method === 'POST' ? { name: 'x' } : undefined);
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(code(answer.body)).toBe('API_KEY_AUTH_FORBIDDEN');
    }
  });

  it('acts on the RBAC surface as its owner, within its scopes', async () => {
    const owner = await person();
    await call('POST', '/roles', ADMIN, { email: owner.email, app_id: 'pylon', archetype: 'pylon-admin' });
    const full = (await call('POST', '/api/auth/api-keys', owner.token, {})).body.key as string;
    const auditOnly = (
      await call('POST', '/api/auth/api-keys', owner.token, { scopes: ['pylon:audit.read'] })
    ).body.key as string;
    expect((await call('GET', '/apps', full)).status).toBe(200);
    expect((await call('GET', '/audit?limit=1', auditOnly)).status).toBe(200);
    expect(code((await call('GET', '/apps', auditOnly)).body)).toBe('insufficient_capability');
    const minted = await call('POST', '/token', auditOnly, { app_id: 'pylon' });
    const payload = JSON.parse(
      Buffer.from((minted.body.scoped_token as string).split('.')[1]!, 'base64url').toString(),
    ) as {
      caps: string[];
    };
    expect(payload.caps).toEqual(['pylon:audit.read']);
    // A deployment admin's key with scopes never administers the deployment; their full key and
    // their session do (the standing each reads is the same cached one).
    const me = async (credential: string) => (await call('GET', '/api/auth/me', credential)).body.isAdmin;
    expect(await me(owner.token)).toBe(true);
    expect(await me(full)).toBe(true);
    expect(await me(auditOnly)).toBe(false);
    expect(await me(full)).toBe(true);
  });

  it('records last use at most once a minute, after the response', async () => {
    const owner = await person();
    const created = await call('POST', '/api/auth/api-keys', owner.token, {});
    await call('GET', '/api/auth/me', created.body.key as string);
    await t.server.idle();
    const first = (await call('GET', '/api/auth/api-keys', owner.token)).body as unknown as Array<{
      last_used_at: number;
    }>;
    expect(first[0]!.last_used_at).toBe(Math.floor(t.clock.now() / 1000));
    t.clock.advance(30_000);
    await call('GET', '/api/auth/me', created.body.key as string);
    await t.server.idle();
    const second = (await call('GET', '/api/auth/api-keys', owner.token)).body as unknown as Array<{
      last_used_at: number;
    }>;
    expect(second[0]!.last_used_at).toBe(first[0]!.last_used_at);
  });
});
