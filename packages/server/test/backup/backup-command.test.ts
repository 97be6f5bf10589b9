import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET } from '../support/server.js';

const bin = fileURLToPath(new URL('../../dist/bin/pylon-server.js', import.meta.url));
/** Each case starts the binary up to four times; a busy machine takes seconds per start. */
const SPAWNS_TIMEOUT_MS = 120_000;

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', PYLON_LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

// Runs the built binary (`npx tsc -b` builds it); skipped only when run without a build.
describe.runIf(existsSync(bin))('pylon-server backup and restore commands', () => {
  let dir: string;
  const sqlite = (name: string, secret = TEST_SECRET) => ({
    PYLON_SECRET: secret,
    PYLON_DATABASE_URL: `sqlite:${join(dir, name)}`,
    PYLON_DATA_DIR: dir,
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pylon-backup-cli-'));
    // `keys rotate` migrates and creates the first signing key, as a first start would.
    expect((await run(['keys', 'rotate'], sqlite('live.db'))).code).toBe(0);
  }, SPAWNS_TIMEOUT_MS);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'backs up (0), refuses the same file again (1) and a missing file argument (2)',
    async () => {
      expect(await run(['backup', join(dir, 'b.db')], sqlite('live.db'))).toEqual({ code: 0, stderr: '' });
      const again = await run(['backup', join(dir, 'b.db')], sqlite('live.db'));
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/^pylon-server: .*exists: choose a new file .*\n$/);
      expect((await run(['backup'], sqlite('live.db'))).code).toBe(2);
      expect((await run(['restore', join(dir, 'b.db'), 'extra'], sqlite('x.db'))).code).toBe(2);
    },
    SPAWNS_TIMEOUT_MS,
  );

  it(
    'restores under the same secret (0); under another it says why (1) and leaves no database',
    async () => {
      const refused = await run(['restore', join(dir, 'b.db')], sqlite('other.db', 'c'.repeat(64)));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('signing keys do not open with this PYLON_SECRET');
      expect(refused.stderr).not.toContain('at ');
      expect(existsSync(join(dir, 'other.db'))).toBe(false);
      expect(await run(['restore', join(dir, 'b.db')], sqlite('restored.db'))).toEqual({
        code: 0,
        stderr: '',
      });
      expect(existsSync(join(dir, 'restored.db'))).toBe(true);
    },
    SPAWNS_TIMEOUT_MS,
  );
});
