// Two (or more) builds of the server, side by side: `node bench/compare-builds.mjs DIR DIR…
// [--rounds R] [--cases me,token] [--db sqlite|postgres] [--json]`, where each DIR is a built
// `packages/server/dist` (its `bin/pylon-server.js`), e.g. one copied aside before a change and the
// one built after it. Each DIR must lie inside this repository, so it resolves the same
// dependencies (`@pylon/core`, better-sqlite3, …) as the build it is compared with.
//
// Every round starts a fresh seeded server of each build (bench/seed.mjs, the `token` case's small
// database), in an order that alternates from one round to the next, and measures each with the
// benchmark's `measure` (its load generator, warm-up, BENCH_SECONDS and BENCH_CONNECTIONS; servers
// on core 0, the load generator on core 1 where there are two): req/s and the server's CPU per
// request. Servers kept for a whole run read differently by the order they were started in (the
// first-started one ran ~10 % faster in every round on the machine of PERFORMANCE.md's fifteenth
// pass), hence fresh ones each round. Prints, per case and build, the median and range over the
// rounds and in how many rounds each build was the cheaper; with two builds, the second's CPU per
// request as a ratio to the first's. Loopback only; Linux for the CPU figures.
import { existsSync, realpathSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LOAD_GENERATOR, measure, pinLoadGenerator } from './lib.mjs';
import { seededServer, tokenRequest } from './seed.mjs';

const root = realpathSync(fileURLToPath(new URL('..', import.meta.url)));
const CASES = {
  me: (token) => ({ path: '/api/auth/me', request: { headers: { authorization: `Bearer ${token}` } } }),
  token: (token) => ({ path: '/token', request: tokenRequest(token) }),
};

/** The options, checked: a usage error names what is wrong and exits 2. */
function options() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: 'string', default: '6' },
      cases: { type: 'string', default: 'me,token' },
      db: { type: 'string', default: 'sqlite' },
      json: { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  const cases = values.cases.split(',').map((name) => name.trim());
  const problems = [];
  if (positionals.length < 2)
    problems.push('give two build directories or more (each a built packages/server/dist)');
  if (!Number.isInteger(rounds) || rounds < 1) problems.push('--rounds must be a whole number of at least 1');
  for (const name of cases) if (!(name in CASES)) problems.push(`--cases: no case "${name}" (me, token)`);
  if (values.db !== 'sqlite' && values.db !== 'postgres') problems.push('--db must be sqlite or postgres');
  const builds = positionals.map((given) => {
    const dir = resolve(given);
    if (!existsSync(join(dir, 'bin/pylon-server.js'))) {
      problems.push(`${given}: no bin/pylon-server.js (a built packages/server/dist is expected)`);
      return { given, dir };
    }
    const inside = relative(root, realpathSync(dir));
    if (inside.startsWith('..'))
      problems.push(`${given}: outside this repository, it would not resolve its dependencies`);
    return { given, dir };
  });
  if (problems.length > 0) {
    console.error(`compare-builds: ${problems.join('; ')}`);
    process.exit(2);
  }
  return { builds, rounds, cases, db: values.db, json: values.json };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const { builds, rounds, cases, db, json } = options();
pinLoadGenerator();
/** Per case, per build (by index): each round's { rps, serverUs }. */
const results = Object.fromEntries(cases.map((name) => [name, builds.map(() => [])]));
for (let round = 0; round < rounds; round++) {
  const order = builds.map((_, index) => index);
  if (round % 2 === 1) order.reverse();
  const started = [];
  try {
    for (const index of order) {
      started.push({
        index,
        ...(await seededServer({ db, apps: 1, grantsPerApp: 100, dist: builds[index].dir })),
      });
    }
    for (const name of cases) {
      for (const { index, server, token } of started) {
        const { path, request } = CASES[name](token);
        const measured = await measure(`${server.url}${path}`, { pid: server.pid, ...request });
        results[name][index].push({ rps: measured.rps, serverUs: measured.serverUs });
        if (!json) {
          console.error(
            `  round ${round + 1}: ${name.padEnd(6)} ${builds[index].given.padEnd(32)} ${measured.rps.toFixed(0).padStart(7)} /s` +
              (measured.serverUs === null ? '' : ` ${measured.serverUs.toFixed(1).padStart(7)} µs`),
          );
        }
      }
    }
  } finally {
    for (const { server } of started) await server.stop();
  }
}

const summary = cases.map((name) => {
  const perBuild = results[name];
  const cheapest = Array.from({ length: rounds }, (_, round) => {
    const costs = perBuild.map((runs) => runs[round].serverUs ?? -runs[round].rps);
    return costs.indexOf(Math.min(...costs));
  });
  const rows = builds.map((build, index) => {
    const runs = perBuild[index];
    const cpu = runs.map((run) => run.serverUs).filter((value) => value !== null);
    return {
      build: build.given,
      rps: median(runs.map((run) => run.rps)),
      rpsMin: Math.min(...runs.map((run) => run.rps)),
      rpsMax: Math.max(...runs.map((run) => run.rps)),
      serverUs: cpu.length === runs.length ? median(cpu) : null,
      serverUsMin: cpu.length === runs.length ? Math.min(...cpu) : null,
      serverUsMax: cpu.length === runs.length ? Math.max(...cpu) : null,
      cheapestRounds: cheapest.filter((winner) => winner === index).length,
    };
  });
  const [first, second] = rows;
  const ratio =
    rows.length === 2 && first.serverUs !== null && second.serverUs !== null
      ? second.serverUs / first.serverUs
      : null;
  return { case: name, rows, secondOverFirst: ratio };
});

if (json) {
  console.log(
    JSON.stringify({
      date: new Date().toISOString(),
      loadGenerator: LOAD_GENERATOR,
      rounds,
      db,
      cases: summary,
    }),
  );
} else {
  console.log(`${rounds} rounds, fresh servers each round in alternating order, ${LOAD_GENERATOR}, ${db}`);
  for (const { case: name, rows, secondOverFirst } of summary) {
    for (const row of rows) {
      const cpu =
        row.serverUs === null
          ? 'server CPU unreadable here'
          : `${row.serverUs.toFixed(1)} µs (${row.serverUsMin.toFixed(1)}–${row.serverUsMax.toFixed(1)})`;
      console.log(
        `${name.padEnd(6)} ${row.build.padEnd(32)} ${row.rps.toFixed(0).padStart(7)} /s (${row.rpsMin.toFixed(0)}–${row.rpsMax.toFixed(0)})  ${cpu}  cheapest in ${row.cheapestRounds} of ${rounds}`,
      );
    }
    if (secondOverFirst !== null)
      console.log(`${name.padEnd(6)} second ÷ first, server CPU per request: ${secondOverFirst.toFixed(3)}`);
  }
}
