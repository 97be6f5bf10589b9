import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/worker.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/run-worker.mjs', import.meta.url));

/** The environment without the caller's PYLON_* settings, which the script would pass on. */
function cleanEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('PYLON_')) env[name] = value;
  return { ...env, ...extra };
}

/**
 * docs/WORKERS.md's local recipe, run as a reader would: scripts/run-worker.mjs on the bundle the
 * global setup built, with nothing but miniflare. Started twice on the same directory, as a
 * developer stops and starts it: the second start finds the data and the generated secret.
 */
describe('scripts/run-worker.mjs (the local recipe)', () => {
  const persist = mkdtempSync(join(tmpdir(), 'pylon-run-worker-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(persist, { recursive: true, force: true });
  });

  /** Start the script; resolves with its URL once it says it is ready. */
  const start = (port: number) =>
    new Promise<{ url: string; child: ChildProcess; output: () => string }>((resolve, reject) => {
      const child = spawn(process.execPath, [SCRIPT, '--port', String(port), '--persist', persist], {
        env: cleanEnvironment({ PYLON_LOG_LEVEL: 'warn' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let output = '';
      const read = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const ready = /Pylon Worker at (http:\/\/\S+)/.exec(output);
        if (ready) resolve({ url: ready[1]!, child, output: () => output });
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      child.on('exit', (code) => reject(new Error(`run-worker exited with ${code}:\n${output}`)));
    });
  /** Stop it as Ctrl-C would; resolves once it has exited (miniflare stops workerd first). */
  const stop = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      child.on('exit', () => resolve());
      child.kill('SIGINT');
    });
  const json = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      headers: { 'content-type': 'application/json', connection: 'close', ...init.headers },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('serves Pylon on loopback, and keeps its data and secret across a restart', async () => {
    const port = await freePort();
    const first = await start(port);
    expect(first.url).toBe(`http://127.0.0.1:${port}`);
    expect(await json(`${first.url}/health`)).toEqual({ status: 200, body: { status: 'ok' } });
    const email = 'local@example.com';
    const sent = await json(`${first.url}/api/auth/magic/send`, {
      method: 'POST',
      body: JSON.stringify({ email }),
    });
    const verified = await json(`${first.url}/api/auth/magic/verify`, {
      method: 'POST',
      body: JSON.stringify({ email, code: sent.body.dev_code }),
    });
    expect(verified.status).toBe(200);
    await stop(first.child);

    const second = await start(port);
    const me = await json(`${second.url}/api/auth/me`, {
      headers: { authorization: `Bearer ${verified.body.token}` },
    });
    expect(me.body).toMatchObject({ userId: verified.body.user_id, email });
    expect(second.output()).not.toContain('start-up failed');
    await stop(second.child);
  }, 120_000);
});
