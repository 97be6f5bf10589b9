import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * bench/compare-builds.mjs: two server builds side by side, fresh servers each round. Its figures
 * are timings, which no test judges; these check that it runs real servers of each build and
 * reports each, and that it refuses what it cannot compare.
 */
const script = fileURLToPath(new URL('../../bench/compare-builds.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../../packages/server/dist', import.meta.url));
const run = (args: string[]) =>
  promisify(execFile)(process.execPath, [script, ...args], {
    env: { ...process.env, BENCH_SECONDS: '1', BENCH_WARM_UP_REQUESTS: '10' },
  });

interface Row {
  build: string;
  rps: number;
  rpsMin: number;
  rpsMax: number;
  serverUs: number | null;
  cheapestRounds: number;
}

describe('bench/compare-builds.mjs', () => {
  it('measures a fresh server of each build per round and reports each, with the second ÷ the first', async () => {
    const { stdout } = await run([dist, dist, '--rounds', '2', '--cases', 'me', '--json']);
    const report = JSON.parse(stdout) as {
      rounds: number;
      db: string;
      cases: { case: string; rows: Row[]; secondOverFirst: number | null }[];
    };
    expect(report).toMatchObject({ rounds: 2, db: 'sqlite' });
    expect(report.cases.map((entry) => entry.case)).toEqual(['me']);
    const [me] = report.cases;
    expect(me!.rows).toHaveLength(2);
    for (const row of me!.rows) {
      expect(row.build).toBe(dist);
      // Every request answered 200 (measure throws on any other), so each build served some.
      expect(row.rps).toBeGreaterThan(0);
      expect(row.rpsMin).toBeLessThanOrEqual(row.rps);
      expect(row.rpsMax).toBeGreaterThanOrEqual(row.rps);
    }
    // Each round has exactly one cheapest build.
    expect(me!.rows[0]!.cheapestRounds + me!.rows[1]!.cheapestRounds).toBe(2);
    if (process.platform === 'linux') {
      expect(me!.rows[0]!.serverUs).toBeGreaterThan(0);
      expect(me!.secondOverFirst).toBeGreaterThan(0);
    }
  });

  it('refuses one build, a build that is not one, one outside the repository, and bad options (exit 2)', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'pylon-compare-'));
    mkdirSync(join(outside, 'bin'));
    writeFileSync(join(outside, 'bin/pylon-server.js'), '');
    try {
      for (const [args, says] of [
        [[dist], 'give two build directories or more'],
        [[dist, tmpdir()], 'no bin/pylon-server.js'],
        [[dist, outside], 'outside this repository'],
        [[dist, dist, '--rounds', '0'], '--rounds must be a whole number'],
        [[dist, dist, '--cases', 'me,health'], 'no case "health"'],
        [[dist, dist, '--db', 'mysql'], '--db must be sqlite or postgres'],
      ] as const) {
        await expect(run([...args])).rejects.toMatchObject({
          code: 2,
          stderr: expect.stringContaining(says),
        });
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
