import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listening } from '../../../server/src/platform/listen.js';
import { testDatabases } from '../../../server/test/support/databases.js';
import { listenAhead } from '../../../server/test/support/listen-ahead.js';
import { startTestServer, type TestServer } from '../../../server/test/support/server.js';

const BIN = fileURLToPath(new URL('../../dist/bin/pylon.js', import.meta.url));
const KEYRING_MODULE = fileURLToPath(new URL('../../dist/session/keyring.js', import.meta.url));
const KERNEL_KEYRING = fileURLToPath(new URL('../support/kernel-keyring/register.mjs', import.meta.url));
const USER_CODE = /([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})/;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `pylon login` then `pylon whoami`, each its own process, with PYLON_KEYRING unset (`auto`): the
 * session login says it stored must be the one the next process finds. Run once with the
 * machine's real keyring module and once with one that behaves like Linux without a Secret
 * Service (the kernel session keyring: accepted, then gone in the next process).
 */
describe.skipIf(!existsSync(BIN))('login and whoami as separate processes, PYLON_KEYRING unset', () => {
  let t: TestServer;
  let listening: Listening;
  let url: string;
  let tick: NodeJS.Timeout;
  let person = 0;
  const homes: string[] = [];

  const baseEnv = (home: string, extra: Record<string, string>): NodeJS.ProcessEnv => {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('PYLON_') && key !== 'NODE_OPTIONS'),
    );
    return {
      ...inherited,
      HOME: home,
      USERPROFILE: home,
      PYLON_CLI_VERSION_OVERRIDE: '0.0.0-test',
      ...extra,
    };
  };

  const pylon = (args: string[], env: NodeJS.ProcessEnv) =>
    new Promise<Result>((resolve) => {
      execFile(process.execPath, [BIN, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });

  const form = (path: string, fields: Record<string, string>, cookie = '') =>
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

  /** Plays the person's browser: sign in with an emailed code, enter the user code, approve. */
  const approve = async (email: string, userCode: string) => {
    expect((await form('/login/code', { email, return_to: '/device' })).status).toBe(200);
    const code = /\n\s+(\d{6})\n/.exec(t.mail.at(-1)!.text)![1]!;
    const signedIn = await form('/login/verify', { email, code, return_to: '/device' });
    expect(signedIn.status).toBe(303);
    const session = /pylon_session=([^;]+)/.exec(signedIn.headers.get('set-cookie') ?? '')![1]!;
    const page = await t.request(`/device?user_code=${userCode}`, {
      headers: { cookie: `pylon_session=${session}` },
    });
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const csrfCookie = /pylon_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')![1]!;
    const approved = await form(
      '/device/complete',
      { user_code: userCode, approve: 'true', csrf },
      `pylon_session=${session}; pylon_csrf=${csrfCookie}`,
    );
    expect(approved.status).toBe(303);
  };

  /** `pylon login` as a child process, approved from here; resolves with its exit and output. */
  const login = (email: string, env: NodeJS.ProcessEnv) =>
    new Promise<Result>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'login', '--org-url', url, '--no-browser'], { env });
      let stdout = '';
      let stderr = '';
      let approving: Promise<void> | undefined;
      child.stdout.on('data', (chunk) => {
        stdout += String(chunk);
      });
      child.stderr.on('data', (chunk) => {
        stderr += String(chunk);
        const userCode = USER_CODE.exec(stderr)?.[1];
        if (userCode && !approving) approving = approve(email, userCode).catch(reject);
      });
      child.on('exit', async (code) => {
        await approving;
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });

  const home = () => {
    const dir = mkdtempSync(join(tmpdir(), 'pylon-cli-keyring-'));
    homes.push(dir);
    return dir;
  };

  beforeAll(async () => {
    const held = await listenAhead();
    listening = held;
    url = `http://127.0.0.1:${listening.port}`;
    t = await startTestServer(testDatabases[0]!, {
      env: { PYLON_PUBLIC_URL: url, PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '1000' },
    });
    // The CLI polls on real time; keep the server's clock with it.
    t.clock.set(Date.now());
    tick = setInterval(() => t.clock.set(Date.now()), 50);
    held.serve(t.server.fetch);
  });
  afterAll(async () => {
    clearInterval(tick);
    await listening?.close(1000);
    await t?.close();
    for (const dir of homes) rmSync(dir, { recursive: true, force: true });
  });

  const loginThenWhoami = async (extra: Record<string, string>) => {
    const email = `keyring-${++person}@example.com`;
    const env = baseEnv(home(), extra);
    const loggedIn = await login(email, env);
    expect(loggedIn.code, loggedIn.stderr).toBe(0);
    const claimed = /session stored in (.+)\n/.exec(loggedIn.stderr)?.[1];
    const whoami = await pylon(['whoami', '--json'], env);
    expect(whoami.code, whoami.stderr).toBe(0);
    const answer = JSON.parse(whoami.stdout) as { email: string; session_store: { location: string } };
    expect(answer.email).toBe(email);
    expect(answer.session_store.location).toBe(claimed);
    return answer;
  };

  it('a keyring that forgets the session in the next process: login keeps it in the 0600 file', async () => {
    const answer = await loginThenWhoami({ NODE_OPTIONS: `--import=${KERNEL_KEYRING}` });
    expect(answer.session_store).toMatchObject({ source: 'file' });
  }, 60_000);

  it("this machine's own keyring: whatever login reports, the next process finds", async () => {
    await loginThenWhoami({});
  }, 60_000);

  it('the read-back runs in a new process: it tells a forgetting keyring from a durable one', async () => {
    const probe = `
      const { loadNativeKeyring } = await import(${JSON.stringify(KEYRING_MODULE)});
      const keyring = await loadNativeKeyring();
      keyring.set('pylon-cli-test', 'probe', 'secret-1');
      const same = keyring.get('pylon-cli-test', 'probe') === 'secret-1';
      const other = await keyring.readableByAnotherProcess('pylon-cli-test', 'probe', 'secret-1');
      const wrong = await keyring.readableByAnotherProcess('pylon-cli-test', 'probe', 'secret-2');
      keyring.delete('pylon-cli-test', 'probe');
      process.stdout.write(JSON.stringify({ same, other, wrong }));`;
    const run = (extra: Record<string, string>) =>
      new Promise<unknown>((resolve, reject) => {
        execFile(
          process.execPath,
          ['--input-type=module', '-e', probe],
          {
            env: baseEnv(tmpdir(), { NODE_OPTIONS: `--import=${KERNEL_KEYRING}`, ...extra }),
            timeout: 20_000,
          },
          (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout))),
        );
      });
    expect(await run({})).toEqual({ same: true, other: false, wrong: false });
    const durable = join(home(), 'durable-keyring.json');
    expect(await run({ PYLON_TEST_DURABLE_KEYRING: durable })).toEqual({
      same: true,
      other: true,
      wrong: false,
    });
  }, 60_000);
});
