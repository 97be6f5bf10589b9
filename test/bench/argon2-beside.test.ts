import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * bench/argon2-beside.mjs: what the event loop's work costs a password hash beside it. Its figures
 * are timings, which no test judges; these check what it reports and that it refuses bad options.
 */
const script = fileURLToPath(new URL('../../bench/argon2-beside.mjs', import.meta.url));
const run = (args: string[]) => promisify(execFile)(process.execPath, [script, ...args]);

interface Row {
  kind: string;
  wallMs: number;
  loopMs: number;
  hashMs: number;
  restMs: number;
  addedToHashMs: number;
  addedToHashRangeMs: [number, number];
}

describe('bench/argon2-beside.mjs', () => {
  it('reports each kind of event-loop work beside real verifications, the idle one as the baseline', async () => {
    const { stdout } = await run(['--count', '2', '--rounds', '1', '--work-ms', '1', '--json']);
    const report = JSON.parse(stdout) as { count: number; workMs: number; rounds: number; rows: Row[] };
    expect(report).toMatchObject({ count: 2, workMs: 1, rounds: 1 });
    expect(report.rows.map((row) => row.kind)).toEqual(['idle', 'arithmetic', 'short-lived', 'retained']);
    for (const row of report.rows) {
      for (const value of [row.wallMs, row.loopMs, row.hashMs, row.restMs, row.addedToHashMs]) {
        expect(Number.isFinite(value)).toBe(true);
      }
      // Every verification ran on a thread other than the event loop's, and was timed there.
      expect(row.hashMs).toBeGreaterThan(0);
      expect(row.restMs).toBeGreaterThanOrEqual(0);
    }
    const [idle] = report.rows;
    expect(idle!.addedToHashMs).toBe(0);
    expect(idle!.addedToHashRangeMs).toEqual([0, 0]);
  });

  it('prints a table by default', async () => {
    const { stdout } = await run(['--count', '1', '--rounds', '1', '--work-ms', '0']);
    expect(stdout).toContain('1 verifications one at a time, 0 ms of event-loop work beside each');
    expect(stdout).toMatch(/^retained\s+[\d.]+/m);
  });

  it('refuses a count, a number of rounds or a work time that is not a number it can use', async () => {
    for (const args of [['--count', '0'], ['--rounds', 'many'], ['--work-ms=-1']]) {
      await expect(run(args)).rejects.toMatchObject({
        stderr: expect.stringContaining('--count and --rounds must be positive numbers'),
      });
    }
  });
});
