import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScratchDatabase } from './databases.js';

/** The built `pylon-server` (npm test builds first); cluster tests are skipped without it. */
export const bin = fileURLToPath(new URL('../../dist/bin/pylon-server.js', import.meta.url));
export const built = existsSync(bin);

/** A production-shaped secret for the processes the tests start (random-looking: 16 distinct digits). */
export const CLUSTER_SECRET = '3f9a0c1e7b2d4685'.repeat(2) + 'a81c5e3f07d294b6'.repeat(2);

export interface Cluster {
  child: ChildProcess;
  url: string;
  port: number;
  /** Every log line the processes printed on stdout so far, parsed. */
  logs: () => Array<Record<string, unknown>>;
  /** What they printed on stderr so far. */
  stderr: () => string;
  exited: Promise<number | null>;
}

/** `pylon-server serve --workers N` (2 by default) as a real process; resolves once every worker listens. */
export async function startCluster(
  database: ScratchDatabase,
  env: Record<string, string> = {},
  workers = 2,
): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'pylon-cluster-'));
  const child = spawn(process.execPath, [bin, 'serve', '--workers', String(workers)], {
    env: {
      PATH: process.env.PATH,
      PYLON_PORT: '0',
      PYLON_HOST: '127.0.0.1',
      PYLON_DATABASE_URL: database.config.url,
      PYLON_DATA_DIR: dir,
      PYLON_SECRET: CLUSTER_SECRET,
      PYLON_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  let errors = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    errors += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (message: { pylon?: string; port?: number }) => {
      if (message.pylon === 'listening') resolve(message.port!);
    });
    void exited.then((code) =>
      reject(new Error(`pylon-server exited (${code}) before listening:\n${output}\n${errors}`)),
    );
  });
  const logs = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { child, url: `http://127.0.0.1:${port}`, port, logs, stderr: () => errors, exited };
}

/** Stop a cluster a test left running (SIGTERM, as an operator would) and wait for it. */
export async function stopCluster(pylon: Cluster | undefined): Promise<void> {
  if (pylon && pylon.child.exitCode === null && pylon.child.signalCode === null) {
    pylon.child.kill('SIGTERM');
    await pylon.exited;
  }
}

/** The pids of the processes whose parent is `pid` (Linux /proc). */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * The TCP connections on local `port` that process `pid` holds open, by state as /proc/net/tcp
 * numbers them (01 established, 08 close-wait, …), listening sockets left out (Linux /proc).
 */
export function connectionsHeldBy(pid: number, port: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith('socket:[')) inodes.add(link.slice(8, -1));
    } catch {
      // closed while listed
    }
  }
  const held: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const localPort = Number.parseInt(fields[1]!.split(':')[1]!, 16);
      const state = fields[3]!;
      if (localPort === port && state !== '0A' && inodes.has(fields[9]!)) held.push(state);
    }
  }
  return held;
}

/** Poll `probe` every 50 ms until `done` holds (the test's timeout bounds it). */
export async function until<T>(probe: () => T | Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
