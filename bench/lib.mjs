import { fork, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = fileURLToPath(new URL('..', import.meta.url));
export const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

/** Start the hello-world baseline in its own process; resolves to its base URL. */
export function startBaseline() {
  return new Promise((resolve, reject) => {
    const child = fork(join(root, 'bench/servers/hello.mjs'), { stdio: 'ignore' });
    child.once('message', ({ port }) =>
      resolve({ url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') }),
    );
    child.once('error', reject);
  });
}

/** Start the built Pylon server on a fresh SQLite database in its own process. */
export function startPylon(env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pylon-bench-'));
  const port = 40000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [join(root, 'packages/server/dist/bin/pylon-server.js'), 'serve'], {
    env: {
      PATH: process.env.PATH,
      PYLON_PORT: String(port),
      PYLON_HOST: '127.0.0.1',
      PYLON_DATABASE_URL: `sqlite:${join(dir, 'pylon.db')}`,
      PYLON_DATA_DIR: dir,
      PYLON_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  return waitUntilReady(url).then(() => ({ url, dir, stop: () => child.kill('SIGTERM') }));
}

async function waitUntilReady(url) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/ready`)).ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server at ${url} never became ready`);
}

/** Requests per second against one URL (loopback only), after a short warm-up. */
export async function measure(url, options = {}) {
  await autocannon({ url, connections: CONNECTIONS, duration: 1, ...options });
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_SECONDS, ...options });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return { rps: result.requests.average, p99: result.latency.p99 };
}

export function report(name, baseline, subject) {
  const ratio = subject.rps / baseline.rps;
  console.log(
    `${name.padEnd(28)} ${subject.rps.toFixed(0).padStart(8)} req/s  p99 ${String(subject.p99).padStart(4)} ms  ` +
      `| baseline ${baseline.rps.toFixed(0).padStart(8)} req/s  | ratio ${ratio.toFixed(2)}`,
  );
  return ratio;
}
