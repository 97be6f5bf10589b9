// What the event loop's own work costs a password hash running beside it on the same core:
// `node bench/argon2-beside.mjs [--count N] [--work-ms M] [--rounds R] [--json]` after
// `npx tsc -b` (Linux: it reads /proc/self/task/*/schedstat). Every thread pinned to core 0 where
// `taskset` is present, as the servers are, so the event loop and the hash's thread share one core
// as they do in the benchmark's password case. Pylon's own hasher verifies one password at a
// time, N times for each of four kinds of work the event loop does while each verification runs,
// M ms of it:
//   idle        nothing (the hash alone: the baseline)
//   arithmetic  integer arithmetic that allocates nothing
//   short-lived objects and strings dropped at once (a request's JSON, headers, closures)
//   retained    objects kept in a ring of 20 000, so each survives a few young-generation
//               collections and is promoted before it is dropped (state a request holds while
//               it waits for its turn to hash)
// and prints, per verification, the wall time and the CPU of the event loop's thread, of the
// hash's threads and of the rest (V8's helpers: the collector's parallel work, the compiler), and
// what the work added to the hash: the hash's threads' CPU above the idle baseline's. The kinds
// take turns, R rounds of them (the machine's drift hits each alike); each figure is the median
// of its R rounds.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createPasswordHasher } from '../packages/server/dist/platform/password.js';
import { PINNING } from './lib.mjs';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '100' },
    'work-ms': { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.count);
const WORK_MS = Number(values['work-ms']);
const ROUNDS = Number(values.rounds);
if (!(COUNT > 0) || !(ROUNDS > 0) || !(WORK_MS >= 0)) {
  throw new Error('--count and --rounds must be positive numbers, --work-ms a number not below 0');
}
// Every thread (-a): V8's helpers, started before this line, must share the core as a server's do.
if (PINNING)
  execFileSync('taskset', ['-a', '-p', '-c', PINNING.server, String(process.pid)], { stdio: 'ignore' });

/** Nanoseconds each thread of this process has run so far, by thread id. */
function threadNs() {
  const times = new Map();
  for (const task of readdirSync('/proc/self/task')) {
    try {
      times.set(task, BigInt(readFileSync(`/proc/self/task/${task}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return times;
}

// Where the work leaves its last result, so that no optimiser can drop the work as unused.
let _sink = null;
const ring = new Array(20_000);
let next = 0;
/** `ms` of one kind of work on the event loop, by the clock. */
const WORK = {
  idle: () => {},
  arithmetic: (ms) => {
    const end = performance.now() + ms;
    let x = 0;
    while (performance.now() < end) for (let i = 0; i < 1000; i++) x = (x * 31 + i) | 0;
    _sink = x;
  },
  'short-lived': (ms) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      for (let i = 0; i < 100; i++) _sink = JSON.stringify({ id: i, name: 'x'.repeat(50), list: [i, i + 1] });
    }
  },
  retained: (ms) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      ring[next] = { id: next, name: 'x'.repeat(50), list: [next, next + 1] };
      next = (next + 1) % ring.length;
    }
  },
};

const hasher = createPasswordHasher({}, { concurrency: 1 });
const phc = await hasher.hash('benchmark password');

async function measureKind(kind) {
  const work = WORK[kind];
  for (let i = 0; i < 10; i++) {
    const verifying = hasher.verify(phc, 'benchmark password');
    work(WORK_MS);
    await verifying;
  }
  const before = threadNs();
  const started = performance.now();
  for (let i = 0; i < COUNT; i++) {
    const verifying = hasher.verify(phc, 'benchmark password');
    work(WORK_MS);
    if (!(await verifying)) throw new Error('the verification failed');
  }
  const wall = performance.now() - started;
  const after = threadNs();
  const spent = new Map();
  for (const [task, ns] of after) spent.set(task, ns - (before.get(task) ?? 0n));
  return { kind, wall, spent };
}

/**
 * One round's figures per verification: the event loop's thread (the process's own id), the
 * hash's threads (libuv's pool, found once by `poolThreads`) and the rest, V8's helpers among them.
 */
function split(measured, hashThreads) {
  const perVerify = (ns) => Number(ns) / 1e6 / COUNT;
  let loop = 0n;
  let hash = 0n;
  let rest = 0n;
  for (const [task, ns] of measured.spent) {
    if (task === String(process.pid)) loop += ns;
    else if (hashThreads.has(task)) hash += ns;
    else rest += ns;
  }
  return {
    kind: measured.kind,
    wallMs: measured.wall / COUNT,
    loopMs: perVerify(loop),
    hashMs: perVerify(hash),
    restMs: perVerify(rest),
  };
}

/**
 * libuv's pool threads, which run the verifications: the threads other than the event loop's that
 * each ran at least a tenth of one verification while as many verifications as the pool has
 * threads ran at once, a few times over (each waiting job wakes an idle thread, so every pool
 * thread takes one). Found once, before the rounds: a round's own verifications, one at a time,
 * need not visit every pool thread, and a thread that ran none of the idle round's but some of a
 * later kind's was counted as the rest, leaving that kind's hash at 0 ms.
 */
async function poolThreads() {
  const size = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  const unbounded = createPasswordHasher();
  const times = 3;
  const before = threadNs();
  for (let i = 0; i < times; i++) {
    await Promise.all(Array.from({ length: size }, () => unbounded.verify(phc, 'benchmark password')));
  }
  const after = threadNs();
  const spent = new Map();
  for (const [task, ns] of after) {
    if (task !== String(process.pid)) spent.set(task, ns - (before.get(task) ?? 0n));
  }
  let total = 0n;
  for (const ns of spent.values()) total += ns;
  const oneVerification = total / BigInt(size * times);
  const threads = new Set();
  for (const [task, ns] of spent) if (ns * 10n >= oneVerification) threads.add(task);
  return threads;
}

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const hashThreads = await poolThreads();
const rounds = [];
for (let round = 0; round < ROUNDS; round++) {
  const raw = [];
  for (const kind of Object.keys(WORK)) raw.push(await measureKind(kind));
  const measured = raw.map((row) => split(row, hashThreads));
  for (const row of measured) row.addedToHashMs = row.hashMs - measured[0].hashMs;
  rounds.push(measured);
}
const rows = Object.keys(WORK).map((kind, index) => {
  const of = (field) => median(rounds.map((measured) => measured[index][field]));
  return {
    kind,
    wallMs: of('wallMs'),
    loopMs: of('loopMs'),
    hashMs: of('hashMs'),
    restMs: of('restMs'),
    addedToHashMs: of('addedToHashMs'),
    addedToHashRangeMs: [
      Math.min(...rounds.map((measured) => measured[index].addedToHashMs)),
      Math.max(...rounds.map((measured) => measured[index].addedToHashMs)),
    ],
  };
});

if (values.json) {
  console.log(
    JSON.stringify(
      { count: COUNT, workMs: WORK_MS, rounds: ROUNDS, pinned: PINNING !== null, rows },
      null,
      2,
    ),
  );
} else {
  console.log(
    `${COUNT} verifications one at a time, ${WORK_MS} ms of event-loop work beside each, ` +
      `median of ${ROUNDS} rounds; ms per verification:`,
  );
  console.log(
    `${'work'.padEnd(12)} ${'wall'.padStart(7)} ${'loop'.padStart(7)} ${'hash'.padStart(7)} ${'rest'.padStart(7)} ${'added'.padStart(7)}  range`,
  );
  for (const row of rows) {
    const cells = [row.wallMs, row.loopMs, row.hashMs, row.restMs, row.addedToHashMs].map((v) =>
      v.toFixed(2).padStart(7),
    );
    const [low, high] = row.addedToHashRangeMs;
    console.log(`${row.kind.padEnd(12)} ${cells.join(' ')}  ${low.toFixed(2)} to ${high.toFixed(2)}`);
  }
}
