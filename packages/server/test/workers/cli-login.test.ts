import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailSink, type RunningWorker, startMailSink, startWorker } from './support/worker.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/dist/bin/pylon.js');
const ADMIN = 'admin-token-for-the-workers-cli-test-0123456789';

/**
 * `pylon login --org-url <the Worker>` as a separate process, as a person runs it: discovery, the
 * device code on stderr, approval by a person signed in with an emailed code, then the stored
 * session drives `pylon whoami` and `pylon app register` against the Worker.
 */
describe('the pylon CLI against Pylon on Cloudflare Workers', () => {
  let worker: RunningWorker;
  let mail: MailSink;
  let home: string;
  const email = 'cli-worker@example.com';
  const env = () => ({
    PATH: process.env.PATH,
    HOME: home,
    PYLON_KEYRING: 'file',
    PYLON_CLI_VERSION_OVERRIDE: '0.0.0-test',
  });
  const pylon = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args, '--org-url', worker.url],
        { env: env(), timeout: 30_000 },
        (error, stdout, stderr) => {
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        },
      );
    });
  const json = async (path: string, body: unknown, token?: string) => {
    const response = await worker.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    // The CLI runs from its build; build it when this command runs on a fresh checkout.
    if (!existsSync(BIN)) {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'packages/cli'], {
        cwd: ROOT,
      });
    }
    mail = await startMailSink();
    worker = await startWorker({
      PYLON_ADMIN_TOKEN: ADMIN,
      PYLON_EMAIL_PROVIDER: 'webhook',
      PYLON_EMAIL_ENDPOINT: mail.url,
      PYLON_EMAIL_FROM: 'Pylon <pylon@example.com>',
    });
    home = mkdtempSync(join(tmpdir(), 'pylon-cli-worker-'));
  }, 180_000);
  afterAll(async () => {
    await worker?.close();
    await mail?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('logs in with a device code approved by a signed-in person, then acts with the stored session', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [BIN, 'login', '--org-url', worker.url, '--no-browser'],
      {
        env: env(),
      },
    );
    let stderr = '';
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    const userCode = await new Promise<string>((resolve, reject) => {
      child.stderr!.on('data', (chunk) => {
        stderr += String(chunk);
        const shown = /([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})/.exec(stderr);
        if (shown) resolve(shown[1]!);
      });
      child.on('exit', (code) =>
        reject(new Error(`pylon login exited ${code} before showing a code: ${stderr}`)),
      );
    });

    // The person signs in with the code mailed to them (over HTTP, from the Worker) and approves.
    expect((await json('/api/auth/magic/send', { email })).status).toBe(200);
    const code = /\b(\d{6})\b/.exec((await mail.next(email)).text)![1]!;
    const signedIn = await json('/api/auth/magic/verify', { email, code });
    const approved = await json(
      '/device/complete',
      { user_code: userCode, approve: true },
      signedIn.body.token as string,
    );
    expect(approved.body).toMatchObject({ status: 'approved' });
    expect(await exited).toBe(0);

    const whoami = await pylon(['whoami', '--json']);
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ email, org_id: 'default' });

    await json('/roles', { email, app_id: 'pylon', archetype: 'pylon-admin' }, ADMIN);
    const registered = await pylon(['app', 'register', '--name', 'cli-notes', '--owner', email]);
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stdout.trim()).toMatch(/^pyat_/);
  }, 90_000);
});
