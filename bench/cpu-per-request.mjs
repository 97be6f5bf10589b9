// CPU time the server spends per request, for `POST /token`, `GET /api/auth/me`, the hello-world
// baseline (bench/servers/hello.mjs) and the floor (bench/servers/floor.mjs: the same two answers
// hand-written on Node's http module with one read and one signature): `node bench/cpu-per-request.mjs [--requests K] [--rounds R]
// [--json] [--load]` after `npx tsc -b`. Linux only (/proc); loopback only.
//
// `--load` measures under the benchmark's load instead: autocannon (BENCH_CONNECTIONS, default 10,
// for BENCH_SECONDS, default 5, after a 1 s warm-up), pinned to the other core where there are
// two, and the server's CPU divided by the requests it served. Under load a server amortises its
// per-wake-up costs over several requests (the hello-world most of all, as its requests are the
// shortest), so these ratios are the ones `npm run bench` sees; sequential ones are not.
//
// req/s mean nothing while other work saturates the machine; CPU per request still does. Each
// server runs in its own process, one keep-alive connection sends K requests one after another,
// and the server's on-CPU time (every thread, /proc/<pid>/task/*/schedstat, ns) is read before and
// after each round, less what the server spends idle (its timers) in as much wall time. The least
// of R rounds is printed. A CPU-bound server's req/s is 1 / CPU per request, so the ratio to the
// hello-world approximates the req/s ratio of an idle machine. On a busy machine the absolute
// figures grow (caches and cores are shared): compare two builds by running them at the same time.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { Client } from 'undici';
import { expandAllArchetypes } from '../packages/core/dist/index.js';
import { CONNECTIONS, cpuNs, DURATION_SECONDS, pinLoadGenerator, startPeer, startPylon } from './lib.mjs';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
    load: { type: 'boolean', default: false },
  },
});
const UNDER_LOAD = values.load;
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
if (!(REQUESTS > 0) || !(ROUNDS > 0)) throw new Error('--requests and --rounds must be positive numbers');

/** Send `count` requests one after another on one connection; every answer must be a 200. */
async function drive(client, request, count) {
  for (let i = 0; i < count; i++) {
    const response = await client.request(request);
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${request.path}: ${response.statusCode} ${text}`);
  }
}

/**
 * The server's CPU while it serves nothing (timers: metrics sampling, batched writes), in ns per
 * ms of wall time. On a loaded machine each request takes long in wall time, so this background
 * cost would otherwise be charged to the requests; it is subtracted from every round.
 */
async function idleNsPerMs(pid) {
  const before = cpuNs(pid);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  return Number(cpuNs(pid) - before) / (performance.now() - started);
}
const IDLE_MS = 3000;

/**
 * µs of server CPU per request: the least of ROUNDS rounds of REQUESTS requests (after a warm-up).
 * Other work on the machine only ever adds to a round (cache misses, migrations between cores), so
 * the least disturbed round is the closest to the server's own cost.
 */
async function cpuPerRequest(url, pid, request) {
  const client = new Client(url, { pipelining: 1 });
  try {
    await drive(client, request, Math.min(REQUESTS, 500));
    const idle = await idleNsPerMs(pid);
    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = cpuNs(pid);
      const started = performance.now();
      await drive(client, request, REQUESTS);
      const busy = Number(cpuNs(pid) - before) - idle * (performance.now() - started);
      rounds.push(busy / 1000 / REQUESTS);
    }
    return Math.min(...rounds);
  } finally {
    await client.close();
  }
}

/** µs of server CPU per request while autocannon keeps CONNECTIONS requests in flight (`--load`). */
async function cpuPerRequestUnderLoad(url, pid, request) {
  const options = {
    url: `${url}${request.path}`,
    method: request.method,
    headers: request.headers,
    body: request.body,
    connections: CONNECTIONS,
  };
  await autocannon({ ...options, duration: 1 });
  const before = cpuNs(pid);
  const result = await autocannon({ ...options, duration: DURATION_SECONDS });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${request.path}: ${result.non2xx} non-2xx answers`);
  return Number(cpuNs(pid) - before) / 1000 / result.requests.total;
}

const measure = UNDER_LOAD ? cpuPerRequestUnderLoad : cpuPerRequest;
if (UNDER_LOAD) pinLoadGenerator();

// The `example` app, its schema and an `example:admin` grant for the signed-in person, plus 100
// other people's grants in it, as bench/cases/token.mjs's small case has.
const PREPARED = readFileSync(
  new URL('../packages/core/test/fixtures/schema-prepare/reference.prepared.json', import.meta.url),
  'utf8',
);
const EXPANDED = JSON.stringify(
  Object.fromEntries([...expandAllArchetypes(JSON.parse(PREPARED))].map(([name, caps]) => [name, [...caps]])),
);
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

function seed(file, email) {
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  const grant =
    db.prepare(`insert into grants (org_id, app_id, email_hash, email, archetype, capabilities, granted_at, granted_by)
    values ('default', 'example', ?, null, ?, '[]', 0, 'bench')`);
  db.transaction(() => {
    db.prepare(`insert into apps (org_id, id, name, owner, description, status, token_hash, current_version, pending_version, created_at, token_rotated_at)
      values ('default', 'example', 'example', 'bench', null, 'active', ?, 1, null, 0, 0)`).run(
      sha256('example-token'),
    );
    db.prepare(`insert into schema_versions (org_id, app_id, version, version_tag, prepared, expanded, pushed_by, pushed_at)
      values ('default', 'example', 1, '0.1.0', ?, ?, 'bench', 0)`).run(PREPARED, EXPANDED);
    grant.run(sha256(email), 'example:admin');
    for (let g = 0; g < 100; g++) grant.run(sha256(`other-${g}@example.com`), 'example:user');
  })();
  db.close();
}

async function signIn(url, email) {
  const post = async (path, body) => {
    const response = await fetch(`${url}/api/auth${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const { dev_code: code } = await post('/magic/send', { email });
  return (await post('/magic/verify', { email, code })).token;
}

const hello = await startPeer('hello.mjs');
const floor = await startPeer('floor.mjs');
const pylon = await startPylon({ db: 'sqlite' });
try {
  const email = 'bench@example.com';
  const token = await signIn(pylon.url, email);
  seed(pylon.sqliteFile, email);
  const authorization = `Bearer ${token}`;
  const results = {
    hello: await measure(hello.url, hello.pid, { method: 'GET', path: '/hello' }),
    token: await measure(pylon.url, pylon.pid, {
      method: 'POST',
      path: '/token',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ app_id: 'example' }),
    }),
    me: await measure(pylon.url, pylon.pid, {
      method: 'GET',
      path: '/api/auth/me',
      headers: { authorization },
    }),
    floorToken: await measure(floor.url, floor.pid, {
      method: 'POST',
      path: '/token',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${floor.token}` },
      body: JSON.stringify({ app_id: 'example' }),
    }),
    floorMe: await measure(floor.url, floor.pid, {
      method: 'GET',
      path: '/api/auth/me',
      headers: { authorization: `Bearer ${floor.token}` },
    }),
  };
  if (values.json) {
    console.log(
      JSON.stringify(
        UNDER_LOAD
          ? { connections: CONNECTIONS, seconds: DURATION_SECONDS, microseconds: results }
          : { requests: REQUESTS, rounds: ROUNDS, microseconds: results },
      ),
    );
  } else {
    console.log(
      UNDER_LOAD
        ? `server CPU per request (user+sys, all threads) under load: ${CONNECTIONS} connections for ${DURATION_SECONDS} s`
        : `server CPU per request (user+sys, all threads, less idle), least of ${ROUNDS} rounds × ${REQUESTS} sequential requests`,
    );
    const row = (name, us, target) =>
      console.log(
        `${name.padEnd(24)} ${us.toFixed(1).padStart(7)} µs` +
          (target ? `   ratio ${(results.hello / us).toFixed(2)} (target ≥ ${target.toFixed(2)})` : ''),
      );
    row('GET /hello (baseline)', results.hello);
    row('POST /token', results.token, 0.25);
    row('GET /api/auth/me', results.me, 0.4);
    row('floor POST /token', results.floorToken);
    row('floor GET /api/auth/me', results.floorMe);
    console.log(
      `Pylon ÷ floor (1.00 = no cost beyond the work itself): /token ${(results.floorToken / results.token).toFixed(2)}, ` +
        `/me ${(results.floorMe / results.me).toFixed(2)}`,
    );
  }
} finally {
  hello.stop();
  floor.stop();
  await pylon.stop();
}
