import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { runWrk } from './wrk.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
export const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
/** Requests every measurement's warm-up serves at least (`measure`). */
export const WARM_UP_REQUESTS = Number(process.env.BENCH_WARM_UP_REQUESTS ?? 2000);
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Where each side runs. With two cores or more and `taskset` present, the servers get core 0 and
 * this process (the load generator, autocannon) core 1, so they do not fight over one core; a
 * server started with `cpus: 'all'` (the workers case) may use every core. Null: no pinning.
 */
/** Cores this machine offers, read before this process pins itself to one. */
export const CORES = availableParallelism();
export const PINNING =
  CORES >= 2 && commandExists('taskset') ? { server: '0', load: '1', all: `0-${CORES - 1}` } : null;

function commandExists(name) {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The load generator: wrk where it is installed (Debian's package; it costs the core it shares
 * with a server about a third of autocannon's CPU per request, which the `--workers 2` figures on
 * two cores feel), autocannon (a devDependency) otherwise; `BENCH_LOAD_GENERATOR` chooses. A
 * measurement whose connections each send their own requests (autocannon's `setupClient`: the
 * password case, one account per connection) runs on autocannon either way.
 */
export const LOAD_GENERATOR =
  process.env.BENCH_LOAD_GENERATOR ?? (commandExists('wrk') ? 'wrk' : 'autocannon');
if (LOAD_GENERATOR !== 'wrk' && LOAD_GENERATOR !== 'autocannon') {
  throw new Error(`BENCH_LOAD_GENERATOR: "${LOAD_GENERATOR}" is neither wrk nor autocannon`);
}

/** Pin this process (the load generator) to its core; no-op without pinning. */
export function pinLoadGenerator() {
  if (PINNING) execFileSync('taskset', ['-p', '-c', PINNING.load, String(process.pid)], { stdio: 'ignore' });
}

/** `node file` (with an IPC channel), pinned to `cpus` when pinning is on. */
function nodeProcess(args, { cpus = 'server', env, stdio = ['ignore', 'ignore', 'ignore', 'ipc'] } = {}) {
  const list = PINNING ? (cpus === 'all' ? PINNING.all : PINNING.server) : null;
  return list
    ? spawn('taskset', ['-c', list, process.execPath, ...args], { env, stdio })
    : spawn(process.execPath, args, { env, stdio });
}

/** A peer server from bench/servers that sends `{ port }` once it listens. */
export function startPeer(file) {
  return new Promise((resolve, reject) => {
    const child = nodeProcess([join(root, 'bench/servers', file)], { env: process.env });
    child.once('message', (message) =>
      resolve({
        ...message,
        url: `http://127.0.0.1:${message.port}`,
        pid: child.pid,
        stop: () => child.kill('SIGTERM'),
      }),
    );
    child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before listening`)));
    child.once('error', reject);
  });
}

/** Start the hello-world baseline in its own process; resolves to its base URL. */
export const startBaseline = () => startPeer('hello.mjs');

/** A scratch PostgreSQL database, created now and dropped by `drop()`. */
export async function scratchPostgres() {
  const name = `pylon_bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/**
 * Start the built Pylon server in its own process: on a fresh SQLite database (`db: 'sqlite'`),
 * an existing SQLite file (`sqliteFile`), a fresh PostgreSQL database (`db: 'postgres'`) or an
 * existing one (`postgresURL`); `workers` > 1 runs `serve --workers N` on every core. `dist` is the
 * server build to run (default `packages/server/dist`; bench/compare-builds.mjs passes others).
 */
export async function startPylon({
  db = 'sqlite',
  workers = 1,
  env = {},
  sqliteFile,
  postgresURL,
  dist = join(root, 'packages/server/dist'),
} = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pylon-bench-'));
  const scratch = db === 'postgres' && !postgresURL ? await scratchPostgres() : null;
  const databaseURL =
    db === 'postgres' ? (postgresURL ?? scratch.url) : `sqlite:${sqliteFile ?? join(dir, 'pylon.db')}`;
  const port = 40000 + Math.floor(Math.random() * 20000);
  const child = nodeProcess(
    [
      // e.g. BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the server.
      ...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      join(dist, 'bin/pylon-server.js'),
      'serve',
      '--workers',
      String(workers),
    ],
    {
      cpus: workers > 1 ? 'all' : 'server',
      env: {
        PATH: process.env.PATH,
        PYLON_PORT: String(port),
        PYLON_HOST: '127.0.0.1',
        PYLON_DATABASE_URL: databaseURL,
        PYLON_DATA_DIR: dir,
        PYLON_SECRET: 'be'.repeat(32),
        PYLON_LOG_LEVEL: 'warn',
        PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '1000000',
        PYLON_DISABLE_HIBP: '1',
        ...env,
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  if (workers > 1) {
    await new Promise((resolve, reject) => {
      child.on('message', (message) => message?.pylon === 'listening' && resolve());
      child.once('exit', (code) => reject(new Error(`pylon-server exited (${code}) before listening`)));
    });
  } else {
    await waitUntilReady(url);
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url,
    dir,
    db,
    databaseURL,
    sqliteFile: db === 'sqlite' ? databaseURL.slice('sqlite:'.length) : null,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await scratch?.drop();
    },
  };
}

async function waitUntilReady(url) {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/ready`)).ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server at ${url} never became ready`);
}

/** Raw Argon2id verifications per second at Pylon's parameters, pinned where the server runs. */
export function argon2Rate() {
  return new Promise((resolve, reject) => {
    const child = nodeProcess(
      [join(root, 'bench/servers/argon2-rate.mjs'), String(DURATION_SECONDS), String(CONNECTIONS)],
      {
        env: process.env,
      },
    );
    child.once('message', ({ rate }) => resolve(rate));
    child.once('exit', (code) => code !== 0 && reject(new Error(`argon2-rate exited (${code})`)));
  });
}

/** A process and its descendants (a cluster's primary and workers), by pid (Linux /proc). */
function processTree(pid) {
  const children = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(children)) return [pid];
  const descendants = readFileSync(children, 'utf8')
    .split(' ')
    .filter(Boolean)
    .flatMap((child) => processTree(Number(child)));
  return [pid, ...descendants];
}

/** Resident set size of a process and its children (a cluster's workers), in MiB (Linux /proc). */
export function rssMiB(pid) {
  let total = 0;
  for (const id of processTree(pid)) {
    const status = readFileSync(`/proc/${id}/status`, 'utf8');
    total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  }
  return total;
}

/**
 * Nanoseconds every thread of a process and of its descendants (a cluster's workers) has spent on
 * a CPU so far (`/proc/<pid>/task/<tid>/schedstat`); null where /proc is not there.
 */
export function cpuNs(pid) {
  if (!existsSync(`/proc/${pid}/task`)) return null;
  let total = 0n;
  for (const id of processTree(pid)) {
    for (const task of readdirSync(`/proc/${id}/task`)) {
      try {
        total += BigInt(readFileSync(`/proc/${id}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended between the listing and the read: its time is gone from both readings.
      }
    }
  }
  return total;
}

/**
 * Requests per second and latency against one URL (loopback only), after a short warm-up, on the
 * load generator `LOAD_GENERATOR` names (`generator` in the result). With `pid` (the server's
 * process), also the CPU each request cost, in µs: the server's (every thread of it and of its
 * workers, `cpuNs`) and the load generator's (wrk's own, or this process's, where autocannon runs),
 * each divided by the requests served; null where they cannot be read.
 */
export async function measure(url, { pid, ...options } = {}) {
  return LOAD_GENERATOR === 'wrk' && !options.setupClient
    ? measureWithWrk(url, pid, options)
    : measureWithAutocannon(url, pid, options);
}

async function measureWithAutocannon(url, pid, options) {
  // A warm-up of a second and of WARM_UP_REQUESTS requests at least: V8 optimises a function once
  // it has run often enough, so a route served ~100 times a second (a password sign-in) would
  // still be compiling on V8's helper threads through the measurement after a second's warm-up,
  // where the fast routes have run tens of thousands of times.
  const warm = await autocannon({ url, connections: CONNECTIONS, duration: 1, ...options });
  const more = WARM_UP_REQUESTS - warm.requests.total;
  if (more > 0) await autocannon({ url, connections: CONNECTIONS, amount: more, ...options });
  const serverBefore = pid ? cpuNs(pid) : null;
  const loadBefore = process.cpuUsage();
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_SECONDS, ...options });
  const load = process.cpuUsage(loadBefore);
  const serverAfter = serverBefore === null ? null : cpuNs(pid);
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  const served = result.requests.total;
  return {
    generator: 'autocannon',
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    serverUs: serverAfter === null ? null : Number(serverAfter - serverBefore) / 1000 / served,
    loadUs: (load.user + load.system) / served,
  };
}

async function measureWithWrk(url, pid, { connections = CONNECTIONS, method, headers, body }) {
  const run = (seconds) =>
    runWrk(url, { connections, seconds, method, headers, body, cpus: PINNING ? PINNING.load : null });
  // The same warm-up as autocannon's: a second, then as long again as WARM_UP_REQUESTS needs.
  const warm = await run(1);
  if (warm.requests < WARM_UP_REQUESTS) await run(Math.ceil((WARM_UP_REQUESTS - warm.requests) / warm.rps));
  const serverBefore = pid ? cpuNs(pid) : null;
  const result = await run(DURATION_SECONDS);
  const serverAfter = serverBefore === null ? null : cpuNs(pid);
  return {
    generator: 'wrk',
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    serverUs: serverAfter === null ? null : Number(serverAfter - serverBefore) / 1000 / result.requests,
    loadUs: result.loadUs,
  };
}

/** A latency in ms as the tables print it: autocannon counts whole milliseconds, wrk microseconds. */
export const formatMs = (value) =>
  value === null ? '—' : Number.isInteger(value) ? String(value) : value.toFixed(2);

export function report(name, baseline, subject) {
  const ratio = subject.rps / baseline.rps;
  console.log(
    `${name.padEnd(28)} ${subject.rps.toFixed(0).padStart(8)} req/s  p99 ${formatMs(subject.p99).padStart(5)} ms  ` +
      `| baseline ${baseline.rps.toFixed(0).padStart(8)} req/s  | ratio ${ratio.toFixed(2)}`,
  );
  return ratio;
}
