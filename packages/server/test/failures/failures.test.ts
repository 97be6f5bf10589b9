import { createLocalJWKSet, jwtVerify } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointVerifier } from '../../src/audit/checkpoints.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Rows of the failure → behaviour table in docs/OPERATIONS.md: a key rotation in the middle of
// token traffic, the clock stepping back, and (SQLite) the database file unable to grow.

const json = (body: unknown, token?: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});

describe.each(testDatabases)('failures on $kind', (database) => {
  let t: TestServer;
  let n = 0;

  /** A fresh person signed in with an emailed code: their session token. */
  const signIn = async () => {
    const email = `f${++n}-${database.kind}@example.com`;
    const sent = (await (await t.request('/api/auth/magic/send', json({ email }))).json()) as {
      dev_code: string;
    };
    const done = await t.request('/api/auth/magic/verify', json({ email, code: sent.dev_code }));
    expect(done.status).toBe(200);
    return ((await done.json()) as { token: string }).token;
  };

  beforeAll(async () => {
    // Many sign-ins and sign-ups from one address: the limits are not what these tests are about.
    t = await startTestServer(database, {
      env: {
        PYLON_RATE_LIMIT_REGISTRATIONS_PER_IP_HOUR: '100000',
        PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '100000',
        PYLON_RATE_LIMIT_CODE_SENDS_PER_HOUR: '100000',
        PYLON_RATE_LIMIT_CODE_SENDS_PER_MINUTE: '100000',
      },
    });
  });
  afterAll(() => t.close());

  it('key rotation mid-traffic: every token minted before, during and after verifies against the published key set', async () => {
    const session = await signIn();
    const mint = async () => {
      const response = await t.request('/api/auth/jwt', json({}, session));
      expect(response.status).toBe(200);
      return ((await response.json()) as { token: string }).token;
    };
    const before = await Promise.all(Array.from({ length: 10 }, mint));
    const [during, rotated] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, mint)),
      t.server.services.keys.rotate(0),
    ]);
    t.clock.advance(1_000);
    const after = await Promise.all(Array.from({ length: 10 }, mint));
    const keySet = createLocalJWKSet(
      (await (await t.request('/.well-known/pylon-keys')).json()) as Parameters<typeof createLocalJWKSet>[0],
    );
    const published = (await (await t.request('/.well-known/pylon-keys')).json()) as {
      keys: Array<{ kid: string }>;
    };
    expect(published.keys.map((key) => key.kid)).toContain(rotated.kid);
    for (const token of [...before, ...during, ...after]) {
      await expect(jwtVerify(token, keySet, { currentDate: new Date(t.clock.now()) })).resolves.toBeDefined();
    }
  });

  it('clock stepped back: audit entries keep their chain order, and the chain verifies', async () => {
    const session = await signIn();
    const stepped = t.clock.now();
    t.clock.set(stepped - 3_600_000);
    try {
      // An audited write an hour "earlier" than the sign-in before it (revoking one's sessions).
      const revoked = await t.request('/api/auth/sessions', {
        method: 'DELETE',
        headers: { authorization: `Bearer ${session}` },
      });
      expect(revoked.status).toBe(200);
    } finally {
      t.clock.set(stepped);
    }
    const rows = await t.storage.db
      .selectFrom('audit_events')
      .select(['seq', 'ts', 'action'])
      .where('org', '=', '*')
      .orderBy('seq', 'desc')
      .limit(2)
      .execute();
    // The newer entry (higher seq) carries the earlier time: order is the chain's, not the clock's.
    expect(rows[0]!.action).toBe('session.revoked');
    expect(Number(rows[0]!.seq)).toBeGreaterThan(Number(rows[1]!.seq));
    expect(Number(rows[0]!.ts)).toBeLessThan(Number(rows[1]!.ts));
    const verifier = new CheckpointVerifier(t.storage.db, t.server.services.sealer);
    expect((await verifyAuditChain(t.storage.db, verifier, { org: '*' })).ok).toBe(true);
  });

  it.runIf(database.kind === 'sqlite')(
    'disk full (the database cannot grow): a clean 500, nothing half-written, and writes work again once there is room',
    async () => {
      const { db } = t.storage;
      const pages = Number(
        (await sql<{ page_count: number }>`pragma page_count`.execute(db)).rows[0]!.page_count,
      );
      await sql.raw(`pragma max_page_count = ${pages}`).execute(db);
      let refused: { email: string; status: number } | null = null;
      try {
        for (let i = 0; i < 400 && refused === null; i++) {
          const email = `full${i}-${database.kind}@example.com`;
          const response = await t.request(
            '/api/auth/password/register',
            json({ email, password: 'a long enough passphrase' }),
          );
          if (response.status !== 200) refused = { email, status: response.status };
        }
      } finally {
        await sql.raw('pragma max_page_count = 1073741823').execute(db);
      }
      expect(refused).not.toBeNull();
      expect(refused!.status).toBe(500);
      // Nothing of the refused sign-up was written: no user, no audit entry naming it.
      const user = await db
        .selectFrom('users')
        .select('id')
        .where('email', '=', refused!.email)
        .executeTakeFirst();
      expect(user).toBeUndefined();
      const report = await verifyAuditChain(db, new CheckpointVerifier(db, t.server.services.sealer), {
        org: '*',
      });
      expect(report.ok).toBe(true);
      // With room again, the same sign-up succeeds.
      const again = await t.request(
        '/api/auth/password/register',
        json({ email: refused!.email, password: 'a long enough passphrase' }),
      );
      expect(again.status).toBe(200);
    },
  );
});
