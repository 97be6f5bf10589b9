import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { temporaryHome } from '../support/environment.js';

const BIN = fileURLToPath(new URL('../../dist/bin/pylon.js', import.meta.url));
const run = promisify(execFile);
const home = temporaryHome();

/** The environment of this process without any PYLON_* variable, and a fresh home. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PYLON_')));
  return { ...env, HOME: home.home, USERPROFILE: home.home, PYLON_KEYRING: 'file' };
}

async function pylon(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: cleanEnv(),
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

// `npm test` builds first (tsc -b); a bare `vitest run` on a fresh clone has no dist yet.
describe.skipIf(!existsSync(BIN))('the built pylon binary', () => {
  afterAll(() => home.remove());

  it('--help lists the commands and exits 0', async () => {
    const result = await pylon(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: pylon');
    for (const command of [
      'login',
      'logout',
      'forget',
      'whoami',
      'use',
      'app',
      'role',
      'audit',
      'schema',
      'bootstrap',
      'org',
      'member',
      'invite',
      'user',
    ]) {
      expect(result.stdout).toContain(`  ${command}`);
    }
  });

  it('a reader that closes the pipe early (`pylon --help | head -1`) ends it quietly, not with EPIPE', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, '--help'], {
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    // Read one chunk, then close our end, as `head -1` does.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });

  it('exits 2 with `error: …` on stderr when no org can be resolved', async () => {
    const result = await pylon(['app', 'list']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: no org selected\n/);
    expect(result.stdout).toBe('');
  });

  it('exits 2 for an unknown command', async () => {
    const result = await pylon(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: unknown command 'frobnicate'");
  });
});
