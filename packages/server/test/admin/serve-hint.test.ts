import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TEST_SECRET } from '../support/server.js';

const bin = fileURLToPath(new URL('../../dist/bin/pylon-server.js', import.meta.url));

/** Start `pylon-server serve`, collect its log and stop it at the first line matching `last`. */
function serveUntil(env: Record<string, string>, last: RegExp): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pylon-hint-'));
  const child = spawn(process.execPath, [bin, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      PYLON_SECRET: TEST_SECRET,
      PYLON_DATABASE_URL: `sqlite:${join(dir, 'p.db')}`,
      PYLON_DATA_DIR: dir,
      PYLON_PORT: '0',
      PYLON_HOST: '127.0.0.1',
      PYLON_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  return new Promise<string[]>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const line of complete) {
        lines.push(line);
        if (last.test(line)) child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('exit', () => {
      rmSync(dir, { recursive: true, force: true });
      resolve(lines);
    });
  });
}

// Runs the built binary (`npx tsc -b` builds it); skipped only when run without a build.
describe.runIf(existsSync(bin))('pylon-server serve tells the operator how to become admin', () => {
  it('development: the hosted /bootstrap page, right after the listening line', async () => {
    const lines = await serveUntil({}, /Sign in: curl/);
    const messages = lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
    const listening = messages.findIndex((msg) => msg.includes('server listening on'));
    const hint = messages.findIndex((msg) => msg.startsWith('No admin yet'));
    expect(listening).toBeGreaterThanOrEqual(0);
    expect(hint).toBeGreaterThan(listening);
    expect(messages[hint]).toMatch(/claim admin at http:\/\/\S+\/bootstrap/);
  });

  it('with PYLON_BOOTSTRAP_ADMIN_EMAIL: sign in as that address, then `pylon bootstrap`', async () => {
    const lines = await serveUntil({ PYLON_BOOTSTRAP_ADMIN_EMAIL: 'ops@example.com' }, /Sign in: curl/);
    const hint = lines
      .map((line) => (JSON.parse(line) as { msg: string }).msg)
      .find((msg) => msg.startsWith('No admin yet'));
    expect(hint).toContain('sign in as ops@example.com');
    expect(hint).toContain('`pylon bootstrap`');
  });
});
