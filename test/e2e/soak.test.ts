import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = fileURLToPath(new URL('../../packages/server/dist/bin/pylon-server.js', import.meta.url));
const postgresURL = inject('postgresURL');

interface Phase {
  name: string;
  processes: number;
  requests: number;
  errors: number;
  failures: string[];
  revocations: { sessions: number; grants: number; late: number };
  windows: Array<{ requests: number; rss_mib: number[] }>;
}

/** `node bench/soak.mjs … --json`: the soak's own process, against servers it starts on loopback. */
function soak(args: string[]): Promise<{ ok: boolean; phases: Phase[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bench/soak.mjs', ...args, '--json'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', BENCH_POSTGRES_URL: postgresURL ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', () => {
      try {
        resolve(JSON.parse(stdout) as { ok: boolean; phases: Phase[] });
      } catch {
        reject(new Error(`soak printed no result: ${stderr.slice(-2000)}`));
      }
    });
  });
}

// The CI-length soak: a bounded number of requests per phase instead of minutes. It runs the built
// server (`npx tsc -b`, which `npm test` runs first); `npm run soak` is the ten-minute version.
describe.runIf(existsSync(bin))('soak, CI length', () => {
  it('mixed traffic answers without an error, and every revocation holds at once on every process', async () => {
    const result = await soak([
      '--requests',
      '400',
      '--concurrency',
      '4',
      ...(postgresURL ? [] : ['--one-process']),
    ]);
    expect(result.phases.map((phase) => phase.processes)).toEqual(postgresURL ? [1, 2] : [1]);
    for (const phase of result.phases) {
      expect(phase.failures, phase.name).toEqual([]);
      expect(phase.errors, phase.name).toBe(0);
      expect(phase.requests, phase.name).toBeGreaterThanOrEqual(400);
      // Revocations happened, and none was honoured late (the next request after it refused).
      expect(phase.revocations.sessions, phase.name).toBeGreaterThan(0);
      expect(phase.revocations.grants, phase.name).toBeGreaterThan(0);
      expect(phase.revocations.late, phase.name).toBe(0);
      expect(phase.windows.length, phase.name).toBeGreaterThan(0);
      for (const window of phase.windows) expect(window.rss_mib.every((rss) => rss > 0)).toBe(true);
    }
    expect(result.ok).toBe(true);
  }, 300_000);
});
