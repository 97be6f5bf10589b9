import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareSchema } from '@pylon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointVerifier } from '../../packages/server/src/audit/checkpoints.js';
import { verifyAuditChain } from '../../packages/server/src/audit/verify.js';
import { secureRandom } from '../../packages/server/src/crypto/random.js';
import { createSealer } from '../../packages/server/src/crypto/seal.js';
import type { Storage } from '../../packages/server/src/storage/database.js';
import { type ScratchDatabase, testDatabases } from '../../packages/server/test/support/databases.js';

const BIN = fileURLToPath(new URL('../../packages/server/dist/bin/pylon-server.js', import.meta.url));
const SECRET = 'cd'.repeat(32);
const ADMIN = 'admin-token-for-the-crash-test-0123456789';
const APP = 'crashapp';
/** Acknowledged writes after which the server is killed, while every lane still has one in flight. */
const KILL_AFTER = 40;
const MANY = '1000000';

interface Running {
  child: ChildProcess;
  url: string;
  exited: Promise<NodeJS.Signals | number | null>;
}

/** `pylon-server serve` as a real process on `database`; resolves with its URL once it listens. */
async function startPylon(database: ScratchDatabase, dataDir: string): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: {
      PATH: process.env.PATH,
      PYLON_PORT: '0',
      PYLON_HOST: '127.0.0.1',
      PYLON_DATABASE_URL: database.config.url,
      PYLON_DATA_DIR: dataDir,
      PYLON_SECRET: SECRET,
      PYLON_ADMIN_TOKEN: ADMIN,
      PYLON_LOG_LEVEL: 'info',
      PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: MANY,
      PYLON_RATE_LIMIT_CODE_SENDS_PER_MINUTE: MANY,
      PYLON_RATE_LIMIT_CODE_SENDS_PER_HOUR: MANY,
      PYLON_RATE_LIMIT_CODE_VERIFICATIONS_PER_HOUR: MANY,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const found = /server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (found) resolve(found[1]!);
    });
    void exited.then((code) =>
      reject(new Error(`pylon-server exited (${code}) before listening:\n${output}`)),
    );
  });
  return { child, url, exited };
}

type Body = Record<string, unknown>;

async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; appToken?: string; body?: unknown } = {},
): Promise<{ status: number; body: Body }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.appToken ? { 'x-pylon-app-token': options.appToken } : {}),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

/** Schema version `n` of the app: capabilities c0…cn, so each push is additive over the one before. */
function schemaSource(n: number): string {
  const caps = Array.from({ length: n + 1 }, (_, i) => `c${i}`);
  return `version_tag: "1.0.${n}"
capabilities:
${caps.map((cap) => `  - name: ${cap}`).join('\n')}
archetypes:
  - name: reader
    capabilities: [c0]
`;
}

const pushSchema = (n: number) => {
  const { _prepared: _marker, ...unmarked } = JSON.parse(
    prepareSchema(schemaSource(n), APP, { cliVersion: '0.3.1' }),
  );
  return unmarked as Body;
};

interface Acknowledged {
  signUps: Array<{ email: string; userId: string; token: string }>;
  grants: Array<{ email: string; emailHash: string }>;
  schemaVersions: number[];
}

/**
 * Kill -9 in the middle of a stream of writes, restart on the same database, and check what is
 * there: every write that was answered 2xx, nothing half-written (a change without its audit entry,
 * or an audit entry without its change), and every audit chain verifies.
 */
describe.runIf(existsSync(BIN)).each(testDatabases)('kill -9 mid-stream of writes on $kind', (kind) => {
  let database: ScratchDatabase;
  let dataDir: string;
  let pylon: Running | undefined;
  let storage: Storage | undefined;
  const acked: Acknowledged = { signUps: [], grants: [], schemaVersions: [] };
  let org = '';
  let killedBy: NodeJS.Signals | number | null = null;
  /** Why each lane stopped: a failed fetch (the process gone), never an answer refusing a write. */
  const stops: string[] = [];

  beforeAll(async () => {
    database = await kind.create();
    dataDir = mkdtempSync(join(tmpdir(), 'pylon-crash-'));
    pylon = await startPylon(database, dataDir);
    const base = pylon.url;
    org = String((await call(base, 'GET', '/discover')).body.id);
    const registered = await call(base, 'POST', '/apps', {
      token: ADMIN,
      body: { name: APP, owner: 'crash@example.com' },
    });
    expect(registered.status).toBe(201);
    const appToken = String(registered.body.app_token);
    const first = await call(base, 'POST', `/apps/${APP}/schema`, { appToken, body: pushSchema(0) });
    expect(first.body).toEqual({ status: 'accepted', version: 1 });
    acked.schemaVersions.push(1);

    let count = 0;
    let kill!: () => void;
    const killed = new Promise<void>((resolve) => {
      kill = resolve;
    });
    const acknowledge = () => {
      count += 1;
      if (count === KILL_AFTER) {
        pylon!.child.kill('SIGKILL');
        kill();
      }
    };
    // Each lane writes until a request fails because the process is gone.
    const lane = async (write: (i: number) => Promise<void>) => {
      for (let i = 0; ; i += 1) {
        try {
          await write(i);
        } catch (error) {
          stops.push(error instanceof Error ? error.message : String(error));
          return;
        }
      }
    };
    const signUps = (name: string) => async (i: number) => {
      const email = `crash-${name}-${i}@example.com`;
      const sent = await call(base, 'POST', '/api/auth/magic/send', { body: { email } });
      if (sent.status !== 200) throw new Error(`send ${sent.status}`);
      const verified = await call(base, 'POST', '/api/auth/magic/verify', {
        body: { email, code: sent.body.dev_code },
      });
      if (verified.status !== 200) throw new Error(`verify ${verified.status}`);
      acked.signUps.push({
        email,
        userId: String(verified.body.user_id),
        token: String(verified.body.token),
      });
      acknowledge();
    };
    const grants = (name: string) => async (i: number) => {
      const email = `granted-${name}-${i}@example.com`;
      const granted = await call(base, 'POST', '/roles', {
        token: ADMIN,
        body: { email, app_id: APP, archetype: 'reader' },
      });
      if (granted.status !== 200) throw new Error(`grant ${granted.status}`);
      acked.grants.push({ email, emailHash: String(granted.body.email_hash) });
      acknowledge();
    };
    const pushes = async (i: number) => {
      const pushed = await call(base, 'POST', `/apps/${APP}/schema`, { appToken, body: pushSchema(i + 1) });
      if (pushed.status !== 200 || pushed.body.status !== 'accepted')
        throw new Error(`push ${pushed.status}`);
      acked.schemaVersions.push(Number(pushed.body.version));
      acknowledge();
    };
    const lanes = Promise.all([
      lane(signUps('a')),
      lane(signUps('b')),
      lane(grants('a')),
      lane(grants('b')),
      lane(pushes),
    ]);
    // Every lane stopping before the kill (a write refused) would leave nothing to wait for.
    await Promise.race([
      killed,
      lanes.then(() => {
        throw new Error(`every lane stopped before the kill: ${stops.join('; ')}`);
      }),
    ]);
    killedBy = await pylon.exited;
    await lanes;
    pylon = await startPylon(database, dataDir);
    storage = database.open();
  }, 120_000);

  afterAll(async () => {
    if (pylon && pylon.child.exitCode === null && pylon.child.signalCode === null) {
      pylon.child.kill('SIGTERM');
      await pylon.exited;
    }
    await storage?.close();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('was killed outright after the acknowledged writes, with writes of every kind among them', () => {
    expect(killedBy).toBe('SIGKILL');
    // Each of the five lanes was still writing: it stopped on a connection the kill cut or refused.
    // (`terminated`: the answer was cut off while it was being read.)
    expect(stops).toHaveLength(5);
    for (const stop of stops) expect(['fetch failed', 'terminated']).toContain(stop);
    expect(
      acked.signUps.length + acked.grants.length + acked.schemaVersions.length - 1,
    ).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(acked.signUps.length).toBeGreaterThan(0);
    expect(acked.grants.length).toBeGreaterThan(0);
    expect(acked.schemaVersions.length).toBeGreaterThan(1);
  });

  it('every acknowledged sign-up is there after the restart, its session still valid', async () => {
    for (const signUp of acked.signUps) {
      const me = await call(pylon!.url, 'GET', '/api/auth/me', { token: signUp.token });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ userId: signUp.userId, email: signUp.email });
    }
  });

  it('every acknowledged grant and schema version is there', async () => {
    const roles = await call(pylon!.url, 'GET', `/roles?app_id=${APP}`, { token: ADMIN });
    expect(roles.status).toBe(200);
    const held = new Set((roles.body.roles as Array<{ email_hash: string }>).map((role) => role.email_hash));
    for (const grant of acked.grants) expect(held, grant.email).toContain(grant.emailHash);

    const schema = await call(pylon!.url, 'GET', `/apps/${APP}/schema`, { token: ADMIN });
    expect(schema.status).toBe(200);
    const versions = new Set((schema.body.versions as Array<{ version: number }>).map((v) => v.version));
    for (const version of acked.schemaVersions) expect(versions).toContain(version);
    expect(Number(schema.body.current_version)).toBeGreaterThanOrEqual(Math.max(...acked.schemaVersions));
  });

  it('nothing is half-written: each user, grant and schema version has its audit entry, and each entry its change', async () => {
    const db = storage!.db;
    const users = (await db.selectFrom('users').select('id').execute()).map((row) => row.id);
    const created = (
      await db
        .selectFrom('audit_events')
        .select('actor_id')
        .where('org', '=', '*')
        .where('action', '=', 'user.created')
        .execute()
    ).map((row) => row.actor_id);
    expect(new Set(created)).toEqual(new Set(users));
    expect(created).toHaveLength(users.length);

    const granted = (
      await db
        .selectFrom('grants')
        .select('email_hash')
        .where('org_id', '=', org)
        .where('app_id', '=', APP)
        .execute()
    ).map((row) => row.email_hash);
    const grantEntries = (
      await db
        .selectFrom('audit_events')
        .select('target_hash')
        .where('org', '=', org)
        .where('action', '=', 'role.granted')
        .execute()
    ).map((row) => row.target_hash);
    expect(new Set(grantEntries)).toEqual(new Set(granted));
    expect(grantEntries).toHaveLength(granted.length);

    const versions = (
      await db
        .selectFrom('schema_versions')
        .select('version')
        .where('org_id', '=', org)
        .where('app_id', '=', APP)
        .execute()
    ).map((row) => Number(row.version));
    const pushEntries = (
      await db
        .selectFrom('audit_events')
        .select('detail')
        .where('org', '=', org)
        .where('action', '=', 'schema.pushed')
        .execute()
    ).map((row) => Number((JSON.parse(String(row.detail)) as { version: number }).version));
    expect(pushEntries.sort((a, b) => a - b)).toEqual(versions.sort((a, b) => a - b));
    // Versions are consecutive: none was taken by a push that did not commit.
    expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
  });

  it('every audit chain verifies, over HTTP for the org and directly for the deployment-wide one', async () => {
    const report = await call(pylon!.url, 'GET', '/audit/verify', { token: ADMIN });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ ok: true, org });
    expect(Number((report.body.head as { seq: number }).seq)).toBeGreaterThan(acked.grants.length);

    const db = storage!.db;
    const verifier = new CheckpointVerifier(db, createSealer(SECRET, secureRandom));
    const orgs = (await db.selectFrom('audit_chain_heads').select('org').execute()).map((row) => row.org);
    expect(orgs).toContain('*');
    for (const chained of orgs) {
      const chain = await verifyAuditChain(db, verifier, { org: chained });
      expect(chain, chained).toMatchObject({ ok: true });
    }
  });

  it('keeps writing after the restart, continuing the chain', async () => {
    const granted = await call(pylon!.url, 'POST', '/roles', {
      token: ADMIN,
      body: { email: 'after-restart@example.com', app_id: APP, archetype: 'reader' },
    });
    expect(granted.status).toBe(200);
    const report = await call(pylon!.url, 'GET', '/audit/verify', { token: ADMIN });
    expect(report.body).toMatchObject({ ok: true });
  });
});
