import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { pauseProcesses, processTree } from '../../bench/processes.mjs';

/** The process's scheduling state from /proc (`T`: stopped by a signal). */
const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[0];

/** A parent that starts one child and says its pid, as a cluster's primary and worker. */
function startTree(): Promise<{ parent: ChildProcess; childPid: number }> {
  const parent = spawn(
    process.execPath,
    [
      '-e',
      `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
       process.stdout.write(String(c.pid) + '\\n'); setInterval(() => {}, 1000);
       process.on('SIGTERM', () => { c.kill(); process.exit(0); });`,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return new Promise((resolve) =>
    parent.stdout!.once('data', (line) => resolve({ parent, childPid: Number(String(line)) })),
  );
}

// Linux only: the trees are read from /proc, as the benchmark reads them.
describe.skipIf(!existsSync('/proc/self/stat'))('pausing the servers the benchmark is not measuring', () => {
  const started: ChildProcess[] = [];
  afterEach(() => {
    for (const parent of started.splice(0)) {
      parent.kill('SIGCONT');
      parent.kill('SIGTERM');
    }
  });

  it('stops a process and its children, and continues them', async () => {
    const { parent, childPid } = await startTree();
    started.push(parent);
    const { parent: other } = await startTree();
    started.push(other);
    expect(processTree(parent.pid!)).toEqual([parent.pid, childPid]);

    // A signal takes effect when its target next runs: wait for the state, do not assume it.
    const resume = pauseProcesses([parent.pid!]);
    await expect.poll(() => state(parent.pid!)).toBe('T');
    await expect.poll(() => state(childPid)).toBe('T');
    expect(state(other.pid!)).not.toBe('T');
    resume();
    await expect.poll(() => state(parent.pid!)).not.toBe('T');
    await expect.poll(() => state(childPid)).not.toBe('T');
  });

  it('skips a process that has already exited', async () => {
    const { parent } = await startTree();
    started.push(parent);
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    const resume = pauseProcesses([gone.pid!, parent.pid!]);
    await expect.poll(() => state(parent.pid!)).toBe('T');
    resume();
    await expect.poll(() => state(parent.pid!)).not.toBe('T');
  });
});
