import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listening } from '../../server/src/platform/listen.js';
import { testDatabases } from '../../server/test/support/databases.js';
import { listenAhead } from '../../server/test/support/listen-ahead.js';
import { startTestServer, type TestServer } from '../../server/test/support/server.js';
import { FileSessionStore } from '../src/session/file-session-store.js';
import { temporaryHome } from './support/environment.js';
import { signInByCode } from './support/sign-in.js';

const BIN = fileURLToPath(new URL('../dist/bin/pylon.js', import.meta.url));
const ADMIN = 'admin-token-for-the-audit-cli-tests-0123';
const AUDITOR = 'auditor@example.com';
const PLAIN = 'plain@example.com';
const OPERATOR = 'operator@example.com';
/** Each test runs the binary a few times; a process start takes seconds on a loaded machine. */
const SLOW = 120_000;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** `pylon audit verify` and `pylon audit export` as child processes of the built binary, against a real Pylon on loopback. */
describe.skipIf(!existsSync(BIN)).each(testDatabases)(
  'pylon audit verify and export on $kind',
  (database) => {
    let t: TestServer;
    let listening: Listening;
    let url: string;
    const homes = { auditor: temporaryHome(), plain: temporaryHome(), operator: temporaryHome() };

    const pylon = (who: keyof typeof homes, args: string[]) =>
      new Promise<Result>((resolve) => {
        const inherited = Object.fromEntries(
          Object.entries(process.env).filter(([key]) => !key.startsWith('PYLON_') && key !== 'NODE_OPTIONS'),
        );
        const env = {
          ...inherited,
          HOME: homes[who].home,
          USERPROFILE: homes[who].home,
          PYLON_KEYRING: 'file',
          PYLON_ORG_URL: url,
        };
        execFile(process.execPath, [BIN, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
      });
    const post = (path: string, body: unknown) =>
      t.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify(body),
      });

    beforeAll(async () => {
      const held = await listenAhead();
      listening = held;
      url = `http://127.0.0.1:${listening.port}`;
      t = await startTestServer(database, { env: { PYLON_PUBLIC_URL: url, PYLON_ADMIN_TOKEN: ADMIN } });
      held.serve(t.server.fetch);
      for (const name of ['alpha', 'beta']) {
        t.clock.advance(1000);
        expect((await post('/apps', { name, owner: 'owner@example.com' })).status).toBe(201);
      }
      expect(
        (await post('/roles', { email: AUDITOR, app_id: 'pylon', archetype: 'pylon-auditor' })).status,
      ).toBe(200);
      // A deployment admin: `pylon-admin` in the default org.
      expect(
        (await post('/roles', { email: OPERATOR, app_id: 'pylon', archetype: 'pylon-admin' })).status,
      ).toBe(200);
      const tokens = {
        auditor: await signInByCode(t, AUDITOR),
        plain: await signInByCode(t, PLAIN),
        operator: await signInByCode(t, OPERATOR),
      };
      for (const who of ['auditor', 'plain', 'operator'] as const) {
        await new FileSessionStore(join(homes[who].home, '.pylon', 'sessions')).set('default', tokens[who]);
      }
    });
    afterAll(async () => {
      await listening?.close(100);
      await t?.close();
      homes.auditor.remove();
      homes.plain.remove();
      homes.operator.remove();
    });

    it(
      'verify: an intact chain prints ok and exits 0; --json answers the report',
      async () => {
        const result = await pylon('auditor', ['audit', 'verify']);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toMatch(/^ok: (\d+) entries from 1 to \1, 0 signed checkpoints\n$/);
        const json = await pylon('auditor', ['audit', 'verify', '--json']);
        expect(json.code, json.stderr).toBe(0);
        expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, from: 1, pruned_through: 0 });
        const later = await pylon('auditor', ['audit', 'verify', '--from', '2', '--json']);
        expect(JSON.parse(later.stdout)).toMatchObject({ ok: true, from: 2 });
        // A place the chain has not reached is a mistaken argument, not "ok: 0 entries".
        const head = JSON.parse(json.stdout).head.seq as number;
        const past = await pylon('auditor', ['audit', 'verify', '--from', String(head + 5)]);
        expect(past.code).toBe(2);
        expect(past.stderr).toContain(`is past the end of the chain: its last entry is ${head}`);
        expect(past.stdout).toBe('');
      },
      SLOW,
    );

    it(
      'verify: refused without pylon:audit.read, and a place below 1 is a usage error',
      async () => {
        const refused = await pylon('plain', ['audit', 'verify']);
        expect(refused.code).toBe(6);
        expect(refused.stderr).toContain('insufficient_capability');
        for (const from of ['0', 'two']) {
          const bad = await pylon('auditor', ['audit', 'verify', '--from', from]);
          expect(bad.code, from).toBe(2);
          expect(bad.stderr).toContain('a place in the chain, 1 or more');
        }
      },
      SLOW,
    );

    it(
      'export: JSON Lines with seq and hash per entry, to stdout or to a new file of mode 0600',
      async () => {
        const printed = await pylon('auditor', ['audit', 'export']);
        expect(printed.code, printed.stderr).toBe(0);
        const lines = printed.stdout.trimEnd().split('\n');
        const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(entries.length).toBeGreaterThanOrEqual(3);
        expect(entries.map((entry) => entry.seq)).toEqual(entries.map((_, i) => i + 1));
        for (const entry of entries) {
          expect(entry.hash).toMatch(/^[0-9a-f]{64}$/);
          expect(entry).toHaveProperty('ip');
          expect(entry).toHaveProperty('request_id');
        }
        const report = JSON.parse((await pylon('auditor', ['audit', 'verify', '--json'])).stdout);
        expect(entries.at(-1)).toMatchObject({ seq: report.head.seq, hash: report.head.hash });

        const file = join(homes.auditor.home, 'audit.jsonl');
        const written = await pylon('auditor', ['audit', 'export', '--output', file]);
        expect(written.code, written.stderr).toBe(0);
        expect(written.stderr).toContain(`${entries.length} entries written to ${file}`);
        expect(statSync(file).mode & 0o777).toBe(0o600);
        expect(readFileSync(file, 'utf8')).toBe(printed.stdout);
        // Never over an existing file.
        const again = await pylon('auditor', ['audit', 'export', '--output', file]);
        expect(again.code).not.toBe(0);
        expect(readFileSync(file, 'utf8')).toBe(printed.stdout);
      },
      SLOW,
    );

    it(
      "--deployment: the deployment's own chain verifies and exports, for deployment admins only",
      async () => {
        const report = await pylon('operator', ['audit', 'verify', '--deployment', '--json']);
        expect(report.code, report.stderr).toBe(0);
        const verified = JSON.parse(report.stdout);
        expect(verified).toMatchObject({ ok: true, org: '*', from: 1 });
        const exported = await pylon('operator', ['audit', 'export', '--deployment']);
        expect(exported.code, exported.stderr).toBe(0);
        const entries = exported.stdout
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(entries.every((entry) => entry.org === '*')).toBe(true);
        expect(entries.map((entry) => entry.action)).toContain('auth.sign_in');
        expect(entries.at(-1)).toMatchObject({ seq: verified.head.seq, hash: verified.head.hash });
        // An org auditor is no deployment admin.
        const refused = await pylon('auditor', ['audit', 'verify', '--deployment']);
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toContain('FORBIDDEN');
      },
      SLOW,
    );

    it(
      'a corrupted erased or detail: verify exits 13 with erasure_invalid, while export and tail still read the log',
      async () => {
        const rows = await t.storage.db
          .selectFrom('audit_events')
          .select(['id', 'seq', 'detail'])
          .where('org', '!=', '*')
          .where('seq', 'in', [2, 3])
          .orderBy('seq')
          .execute();
        const [second, third] = rows;
        await sql`update audit_events set erased = ${'null'} where id = ${second!.id}`.execute(t.storage.db);
        await sql`update audit_events set detail = ${'{bad json'} where id = ${third!.id}`.execute(
          t.storage.db,
        );
        try {
          const broken = await pylon('auditor', ['audit', 'verify']);
          expect(broken.code).toBe(13);
          expect(broken.stdout).toBe(`broken at 2 (entry id ${second!.id}): erasure_invalid\n`);
          const exported = await pylon('auditor', ['audit', 'export']);
          expect(exported.code, exported.stderr).toBe(0);
          const entries = exported.stdout
            .trimEnd()
            .split('\n')
            .map((line) => JSON.parse(line) as Record<string, unknown>);
          expect(entries.find((entry) => entry.seq === 2)).toMatchObject({ undecodable: { erased: 'null' } });
          expect(entries.find((entry) => entry.seq === 3)).toMatchObject({
            undecodable: { detail: '{bad json' },
          });
          const tail = await pylon('auditor', ['audit', 'tail', '--since', '0', '--limit', '1000']);
          expect(tail.code, tail.stderr).toBe(0);
          expect(tail.stdout).toContain('(undecodable) {bad json');
        } finally {
          await sql`update audit_events set erased = null where id = ${second!.id}`.execute(t.storage.db);
          await sql`update audit_events set detail = ${third!.detail} where id = ${third!.id}`.execute(
            t.storage.db,
          );
        }
        expect((await pylon('auditor', ['audit', 'verify'])).code).toBe(0);
      },
      SLOW,
    );

    it(
      'verify: exits 13 on an entry forged past the head, and says how many lie outside the chain',
      async () => {
        const report = JSON.parse((await pylon('auditor', ['audit', 'verify', '--json'])).stdout);
        const place = report.head.seq + 1;
        const forged = await t.storage.db
          .insertInto('audit_events')
          .values({
            ts: 1,
            org: report.org,
            action: 'role.granted',
            actor: 'admin',
            seq: place,
            hash: '00',
          } as never)
          .returning('id')
          .executeTakeFirstOrThrow();
        try {
          const broken = await pylon('auditor', ['audit', 'verify']);
          expect(broken.code).toBe(13);
          expect(broken.stdout).toBe(
            `broken at ${place} (entry id ${forged.id}): outside_chain, 1 entry outside the chain\n`,
          );
        } finally {
          await t.storage.db.deleteFrom('audit_events').where('id', '=', forged.id).execute();
        }
      },
      SLOW,
    );

    it(
      'verify: exits 13 naming the first broken link once a stored entry is changed',
      async () => {
        const row = await t.storage.db
          .selectFrom('audit_events')
          .select(['id', 'org'])
          .where('seq', '=', 2)
          .where('org', '!=', '*')
          .executeTakeFirstOrThrow();
        await sql`update audit_events set action = ${'app.renamed'} where id = ${row.id}`.execute(
          t.storage.db,
        );
        const broken = await pylon('auditor', ['audit', 'verify']);
        expect(broken.code).toBe(13);
        expect(broken.stdout).toBe(`broken at 2 (entry id ${row.id}): hash_mismatch\n`);
        expect(broken.stderr).toContain('the audit chain is broken');
        const json = await pylon('auditor', ['audit', 'verify', '--json']);
        expect(json.code).toBe(13);
        expect(JSON.parse(json.stdout)).toMatchObject({
          ok: false,
          first_broken: { seq: 2, id: Number(row.id), reason: 'hash_mismatch' },
        });
      },
      SLOW,
    );
  },
);
