import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listening } from '../../packages/server/src/platform/listen.js';
import { testDatabases } from '../../packages/server/test/support/databases.js';
import { listenAhead } from '../../packages/server/test/support/listen-ahead.js';
import { startTestServer, type TestServer } from '../../packages/server/test/support/server.js';

const BIN = fileURLToPath(new URL('../../packages/cli/dist/bin/pylon.js', import.meta.url));
const CONFORMANCE = fileURLToPath(
  new URL('../../packages/core/test/fixtures/schema-prepare/', import.meta.url),
);
const ADMIN = 'admin-token-for-the-cli-e2e-0123456789';

/**
 * Device login end to end: `pylon login --org-url …` runs as a child process while this test plays
 * the person's browser over HTTP (hosted /login with an emailed code, then /device: enter the
 * code, approve). The stored session then drives the rest of the commands, each checked by its
 * output and exit code.
 */
describe.skipIf(!existsSync(BIN))('pylon login and the commands after it', () => {
  let t: TestServer;
  let listening: Listening;
  let url: string;
  let home: string;
  let tick: NodeJS.Timeout;
  const email = 'cli-person@example.com';

  const env = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH,
    HOME: home,
    PYLON_KEYRING: 'file',
    PYLON_CLI_VERSION_OVERRIDE: '0.0.0-test',
    ...extra,
  });
  const pylon = (args: string[], extra: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args, ...(args[1] === 'prepare' ? [] : ['--org-url', url])],
        { env: env(extra), timeout: 30_000 },
        (error, stdout, stderr) => {
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        },
      );
    });
  const form = async (path: string, fields: Record<string, string>, cookie = '') =>
    t.request(path, {
      method: 'POST',
      body: new URLSearchParams(fields).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: url,
        accept: 'text/html',
        ...(cookie ? { cookie } : {}),
      },
    });

  beforeAll(async () => {
    const held = await listenAhead();
    listening = held;
    url = `http://127.0.0.1:${listening.port}`;
    t = await startTestServer(testDatabases[0]!, {
      env: {
        PYLON_PUBLIC_URL: url,
        PYLON_ADMIN_TOKEN: ADMIN,
        PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '1000',
      },
    });
    // The CLI polls on real time; keep the server's clock with it.
    t.clock.set(Date.now());
    tick = setInterval(() => t.clock.set(Date.now()), 50);
    held.serve(t.server.fetch, t.server.direct);
    home = mkdtempSync(join(tmpdir(), 'pylon-cli-e2e-'));
  });
  afterAll(async () => {
    clearInterval(tick);
    await listening.close(1000);
    await t.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('logs in with a device code approved in the browser', async () => {
    const child: ChildProcess = spawn(process.execPath, [BIN, 'login', '--org-url', url, '--no-browser'], {
      env: env(),
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    // The user code arrives on stderr: read it as it comes, not on a timer.
    const userCode = await new Promise<string>((resolve, reject) => {
      child.stderr!.on('data', () => {
        const shown = /([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})/.exec(stderr);
        if (shown) resolve(shown[1]!);
      });
      child.on('exit', (code) =>
        reject(new Error(`pylon login exited ${code} before showing a code: ${stderr}`)),
      );
    });

    // The browser: sign in on the hosted page with an emailed code…
    expect((await form('/login/code', { email, return_to: '/device' })).status).toBe(200);
    const code = /\n\s+(\d{6})\n/.exec(t.mail.at(-1)!.text)![1]!;
    const signedIn = await form('/login/verify', { email, code, return_to: '/device' });
    expect(signedIn.status).toBe(303);
    const session = /pylon_session=([^;]+)/.exec(signedIn.headers.get('set-cookie') ?? '')![1]!;
    // …enter the user code on /device, then approve.
    const page = await t.request(`/device?user_code=${userCode}`, {
      headers: { cookie: `pylon_session=${session}` },
    });
    const html = await page.text();
    expect(html).toContain('pylon-cli');
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const csrfCookie = /pylon_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')![1]!;
    const approved = await form(
      '/device/complete',
      { user_code: userCode, approve: 'true', csrf },
      `pylon_session=${session}; pylon_csrf=${csrfCookie}`,
    );
    expect(approved.status).toBe(303);

    expect(await exited).toBe(0);
    const whoami = await pylon(['whoami', '--json']);
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ email, org_id: 'default' });
  }, 60_000);

  it('registers an app, prepares and pushes its schema, grants, migrates, and tails the audit log', async () => {
    // The person needs pylon-admin to manage apps: the deployment admin grants it.
    await t.request('/roles', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ email, app_id: 'pylon', archetype: 'pylon-admin' }),
    });
    const registered = await pylon(['app', 'register', '--name', 'example', '--owner', email]);
    expect(registered.code).toBe(0);
    const appToken = registered.stdout.trim();
    expect(appToken).toMatch(/^pyat_/);

    const work = mkdtempSync(join(tmpdir(), 'pylon-schema-'));
    const prepared = join(work, 'schema.prepared.json');
    const prepare = await pylon([
      'schema',
      'prepare',
      '--source',
      join(CONFORMANCE, 'reference.bare.yaml'),
      '--app',
      'example',
      '--out',
      prepared,
    ]);
    expect(prepare.code).toBe(0);
    expect(readFileSync(prepared, 'utf8')).toBe(
      readFileSync(join(CONFORMANCE, 'reference.prepared.json'), 'utf8'),
    );

    const push = await pylon(['schema', 'push', '--app', 'example', '--file', prepared, '--json'], {
      PYLON_APP_TOKEN: appToken,
    });
    expect(push.code).toBe(0);
    expect(JSON.parse(push.stdout)).toMatchObject({ status: 'accepted', version: 1 });

    const grant = await pylon([
      'role',
      'grant',
      '--email',
      'alice@example.com',
      '--app',
      'example',
      '--archetype',
      'example:viewer',
    ]);
    expect(grant.code).toBe(0);

    // A destructive change: `viewer` removed.
    const source = readFileSync(join(CONFORMANCE, 'reference.bare.yaml'), 'utf8').replace(
      / {2}- name: viewer\n {4}description: Read-only access\n {4}capabilities: \[world.read\]\n/,
      '',
    );
    const edited = join(work, 'schema.yaml');
    writeFileSync(edited, source);
    const next = join(work, 'next.prepared.json');
    expect(
      (await pylon(['schema', 'prepare', '--source', edited, '--app', 'example', '--out', next])).code,
    ).toBe(0);
    const diff = await pylon(['schema', 'diff', '--app', 'example', '--file', next, '--json']);
    expect(diff.code).toBe(0);
    expect(JSON.parse(diff.stdout)).toMatchObject({ diff: { kind: 'destructive' } });
    const pending = await pylon(['schema', 'push', '--app', 'example', '--file', next, '--json'], {
      PYLON_APP_TOKEN: appToken,
    });
    expect(pending.code).toBe(0);
    expect(JSON.parse(pending.stdout)).toMatchObject({ status: 'pending_approval', version: 2 });
    const approve = await pylon(['schema', 'approve', '--app', 'example', '--version', '2', '--json']);
    expect(approve.code).toBe(0);
    expect(JSON.parse(approve.stdout)).toMatchObject({ status: 'approved', version: 2, roles_migrated: 1 });

    const tail = await pylon(['audit', 'tail', '--json', '--limit', '1000']);
    expect(tail.code).toBe(0);
    const actions = (JSON.parse(tail.stdout) as { entries: Array<{ action: string }> }).entries.map(
      (e) => e.action,
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        'app.registered',
        'schema.pushed',
        'role.granted',
        'schema.approved',
        'role.revoked',
      ]),
    );
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('a server error is exit 6 with the contract message', async () => {
    const result = await pylon(['schema', 'approve', '--app', 'example', '--version', '99']);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(
      /^error: Pylon returned 404: POST \/apps\/example\/schema\/approve-migration → nothing_pending/,
    );
  });
});
