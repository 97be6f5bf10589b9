// The process trees the benchmark starts (a server, a cluster's primary and workers), read from
// Linux's /proc: to sum their CPU and memory (lib.mjs) and to pause the ones not being measured.
import { existsSync, readFileSync } from 'node:fs';

/** A process and its descendants (a cluster's primary and workers), by pid (Linux /proc). */
export function processTree(pid) {
  const children = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(children)) return [pid];
  const descendants = readFileSync(children, 'utf8')
    .split(' ')
    .filter(Boolean)
    .flatMap((child) => processTree(Number(child)));
  return [pid, ...descendants];
}

/**
 * Stop every process of these trees (SIGSTOP: a server and its cluster workers) and return the
 * function that continues them (SIGCONT). The peers run pauses the servers it is not measuring,
 * which all share the measured server's core: idle, each still wakes for its own upkeep (a
 * Pylon's audit tick every minute, V8's idle-time collection) and takes the core in bursts of
 * milliseconds, which the measured row's p99 would otherwise count. A process that has exited is
 * skipped. Only for servers with no database file in common with the measured one: a stopped
 * process could hold SQLite's write lock.
 */
export function pauseProcesses(pids) {
  const paused = pids.flatMap((pid) => processTree(pid)).filter((pid) => signal(pid, 'SIGSTOP'));
  return () => {
    for (const pid of paused) signal(pid, 'SIGCONT');
  };
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}
