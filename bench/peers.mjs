// `npm run bench -- --peers [--json] [--db sqlite,postgres] [--soak-minutes M]`: Pylon against its
// peers, every server started here from devDependencies (nothing is installed at run time), each
// in its own process, measured in the same run and interleaved (round after round, every target in
// turn): a Hono hello-world (the ceiling), Better Auth on better-sqlite3 (get-session and its
// jwt() plugin's /token) and oidc-provider's client_credentials /token with JWT access tokens, and
// the floor (bench/servers/floor.mjs: the same answers hand-written on Node's http module, one
// read and one signature; for the password sign-in one read, the verify and one insert).
// One table of req/s, p50, p99 and each ratio; the targets are printed, never asserted, and so is
// how close Pylon comes to the floor.

import { cpus, release, totalmem } from 'node:os';
import { passwordSignIn, signInsAt } from './cases/password.mjs';
import { soak } from './cases/soak.mjs';
import {
  argon2Rate,
  CONNECTIONS,
  CORES,
  DURATION_SECONDS,
  formatMs,
  LOAD_GENERATOR,
  measure,
  PINNING,
  startPeer,
  startPylon,
} from './lib.mjs';
import { seededServer, signIn, tokenRequest } from './seed.mjs';
import { acrossRounds, verdict } from './verdict.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

const median = (values) => acrossRounds(values).median;
/** The median, or null when any round could not measure it (no /proc, a target without a pid). */
const orNull = (values) =>
  values.some((value) => value === null || value === undefined) ? null : median(values);

async function betterAuthTargets() {
  const peer = await startPeer('better-auth.mjs');
  const response = await fetch(`${peer.url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: peer.url },
    body: JSON.stringify({ email: 'bench@example.com', password: 'benchmark password', name: 'Bench' }),
  });
  if (!response.ok) throw new Error(`Better Auth sign-up failed: ${response.status}`);
  const cookie = response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  return {
    peer,
    session: {
      name: 'Better Auth GET /get-session',
      url: `${peer.url}/api/auth/get-session`,
      options: { headers: { cookie } },
      pid: peer.pid,
    },
    token: {
      name: 'Better Auth GET /token (jwt)',
      url: `${peer.url}/api/auth/token`,
      options: { headers: { cookie } },
      pid: peer.pid,
    },
  };
}

async function oidcTarget() {
  const peer = await startPeer('oidc-provider.mjs');
  return {
    peer,
    token: {
      name: 'oidc-provider client_credentials',
      url: `${peer.url}/token`,
      options: {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${peer.clientId}:${peer.clientSecret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials&scope=api:read',
      },
      pid: peer.pid,
    },
  };
}

/**
 * Bounds that the machine, not the server, puts on three targets, computed from the same run:
 *
 * - `--workers 2`: where the load generator runs on one of the cores the workers use (two cores),
 *   the most any two workers could serve is every core's time divided by what one request costs
 *   the server (the cheaper of one worker's and two workers' figures) plus the load generator.
 *   `cpuPerRequest` is the two workers' server CPU per request ÷ one worker's (1.00: nothing
 *   shared costs anything).
 * - p99 at 32 connections: with 32 requests always in flight, the mean latency is 32 ÷ req/s
 *   (Little's law), and a p99 cannot be below the mean: ≤ 3 ms needs ≥ 10 667 req/s. The
 *   hello-world's own p99 at 32 connections shows what the machine and the load generator add to
 *   any server's tail.
 * - Password sign-in: the raw verify saturates the core, so its CPU per verify is 1 s ÷ its rate;
 *   0.9× that rate leaves a ninth of the hash's time for everything else a sign-in does.
 */
function machineLimits(rows, primary) {
  const lines = [];
  const values = {};
  for (const [key, single, label] of [
    ['meWorkers', `me:${primary}`, '/me'],
    ['tokenWorkers', `token:${primary}`, '/token'],
  ]) {
    const one = rows[single];
    const two = rows[key];
    if (!one || !two || one.serverUs === null || two.serverUs === null || !PINNING || CORES > 2) continue;
    // The cheaper of the two servers' CPU per request: a bound no pair of workers can beat here.
    const serverUs = Math.min(one.serverUs, two.serverUs);
    const ceiling = (CORES * 1e6) / (serverUs + two.loadUs);
    values[key] = {
      ceilingRps: ceiling,
      ceilingRatio: ceiling / one.rps,
      cpuPerRequest: two.serverUs / one.serverUs,
    };
    lines.push(
      `${label} --workers 2: at most ${ceiling.toFixed(0)} req/s = ${(ceiling / one.rps).toFixed(2)}× one worker ` +
        `(${CORES} cores ÷ (server ${serverUs.toFixed(1)} µs + load generator ${two.loadUs.toFixed(1)} µs per request)); ` +
        `two workers' server CPU per request ${(two.serverUs / one.serverUs).toFixed(2)}× one worker's`,
    );
  }
  if (rows.hello32) {
    values.hello32 = { p99: rows.hello32.p99 };
    lines.push(
      `hello-world, 32 connections: p99 ${formatMs(rows.hello32.p99)} ms at ${rows.hello32.rps.toFixed(0)} req/s — what this machine ` +
        'and load generator give a server that does nothing',
    );
  }
  for (const key of ['token32', 'tokenLarge32', 'token32Workers', 'tokenLarge32Workers']) {
    const row = rows[key];
    if (!row) continue;
    const meanMs = (32 / row.rps) * 1000;
    values[key] = { meanMs };
    lines.push(
      `${row.name.replace('Pylon ', '')}: mean latency ${meanMs.toFixed(2)} ms at ${row.rps.toFixed(0)} req/s ` +
        `(Little's law), which the p99 cannot be below`,
    );
  }
  if (rows.password?.serverUs && rows.argon2) {
    const hashUs = 1e6 / rows.argon2.rps;
    const allowedUs = hashUs / 0.9 - hashUs;
    const otherUs = rows.password.serverUs - hashUs;
    values.password = { hashUs, allowedUs, otherUs };
    lines.push(
      `password sign-in: ${(rows.password.serverUs / 1000).toFixed(2)} ms of CPU each, the hash ${(hashUs / 1000).toFixed(2)} ms; ` +
        `0.9× leaves ${(allowedUs / 1000).toFixed(2)} ms for the rest, which takes ${(otherUs / 1000).toFixed(2)} ms`,
    );
  }
  return { lines, values };
}

export async function runPeers({ dbs, soakMinutes, json }) {
  const out = json ? (line) => process.stderr.write(`${line}\n`) : (line) => console.log(line);
  out(
    `pylon bench --peers: ${DURATION_SECONDS}s per measurement, ${CONNECTIONS} connections, ${ROUNDS} rounds interleaved, ` +
      `load generator ${LOAD_GENERATOR}${LOAD_GENERATOR === 'wrk' ? ' (autocannon for the password sign-in)' : ''}, ` +
      (PINNING ? `servers on core ${PINNING.server}, load generator on core ${PINNING.load}` : 'not pinned'),
  );
  const stops = [];
  try {
    const hello = await startPeer('hello.mjs');
    stops.push(hello.stop);
    const ba = await betterAuthTargets();
    stops.push(ba.peer.stop);
    const oidc = await oidcTarget();
    stops.push(oidc.peer.stop);
    const floor = await startPeer('floor.mjs');
    stops.push(floor.stop);

    const targets = {
      hello: { name: 'hello-world (Hono)', url: `${hello.url}/hello`, options: {}, pid: hello.pid },
      // What 32 connections cost the ceiling itself: the p99 targets' reference.
      hello32: {
        name: 'hello-world (Hono), 32 connections',
        url: `${hello.url}/hello`,
        options: {},
        pid: hello.pid,
        connections: 32,
      },
    };
    const sqlite = dbs.includes('sqlite');
    const primary = sqlite ? 'sqlite' : 'postgres';
    for (const db of dbs) {
      const small = await seededServer({ db, apps: 1, grantsPerApp: 100 });
      stops.push(small.server.stop);
      const me = { headers: { authorization: `Bearer ${await signIn(small.server, 'me@example.com')}` } };
      targets[`me:${db}`] = {
        name: `Pylon GET /api/auth/me (${db})`,
        url: `${small.server.url}/api/auth/me`,
        options: me,
        pid: small.server.pid,
      };
      targets[`token:${db}`] = {
        name: `Pylon POST /token (${db})`,
        url: `${small.server.url}/token`,
        options: tokenRequest(small.token),
        pid: small.server.pid,
      };
      if (db !== primary) continue;
      const large = await seededServer({ db, apps: 1000, grantsPerApp: 100 });
      stops.push(large.server.stop);
      targets.tokenLarge = {
        name: `Pylon POST /token, 100 000 grants`,
        url: `${large.server.url}/token`,
        options: tokenRequest(large.token),
        pid: large.server.pid,
      };
      targets.token32 = {
        ...targets[`token:${db}`],
        name: 'Pylon POST /token, 32 connections',
        connections: 32,
      };
      targets.tokenLarge32 = {
        ...targets.tokenLarge,
        name: 'Pylon POST /token, 100 000 grants, 32 connections',
        connections: 32,
      };
      // Two workers on the same databases (every core: with two, one is the load generator's too),
      // as `serve` runs by default in production on a two-core machine.
      const twoWorkers = async (seeded) => {
        const server = await startPylon({
          db,
          workers: 2,
          sqliteFile: seeded.server.sqliteFile,
          postgresURL: db === 'postgres' ? seeded.server.databaseURL : undefined,
        });
        stops.push(server.stop);
        return server;
      };
      const workers = await twoWorkers(small);
      const largeWorkers = await twoWorkers(large);
      targets.meWorkers = {
        ...targets[`me:${db}`],
        name: 'Pylon GET /api/auth/me, --workers 2',
        url: `${workers.url}/api/auth/me`,
        pid: workers.pid,
      };
      targets.tokenWorkers = {
        ...targets[`token:${db}`],
        name: 'Pylon POST /token, --workers 2',
        url: `${workers.url}/token`,
        pid: workers.pid,
      };
      targets.token32Workers = {
        ...targets.tokenWorkers,
        name: 'Pylon POST /token, --workers 2, 32 connections',
        connections: 32,
      };
      targets.tokenLarge32Workers = {
        ...targets.tokenLarge32,
        name: 'Pylon POST /token, 100 000 grants, --workers 2, 32 connections',
        url: `${largeWorkers.url}/token`,
        pid: largeWorkers.pid,
      };
      targets.password = {
        name: 'Pylon POST /password/login',
        ...(await passwordSignIn(small.server)),
        pid: small.server.pid,
      };
      targets.argon2 = {
        name: 'raw Argon2id verify (in-process)',
        run: () => argon2Rate().then((rps) => ({ rps, p50: null, p99: null })),
      };
      // The soak gets a server of its own, started when it starts (see below).
      targets.soakServer = { db };
    }
    const { soakServer, ...measured } = targets;
    const soakFresh = async (db) => {
      const fresh = await seededServer({ db, apps: 1, grantsPerApp: 100 });
      stops.push(fresh.server.stop);
      return soak(fresh.server, fresh.token, soakMinutes);
    };
    Object.assign(measured, {
      baSession: ba.session,
      baToken: ba.token,
      oidcToken: oidc.token,
      floorMe: {
        name: 'floor GET /api/auth/me (node:http, hand-written)',
        url: `${floor.url}/api/auth/me`,
        options: { headers: { authorization: `Bearer ${floor.token}` } },
        pid: floor.pid,
      },
      floorToken: {
        name: `floor POST /token (node:http, ${floor.signer})`,
        url: `${floor.url}/token`,
        options: {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${floor.token}` },
          body: JSON.stringify({ app_id: 'example' }),
        },
        pid: floor.pid,
      },
      floorPassword: {
        name: 'floor POST /password/login (node:http, hand-written)',
        ...signInsAt(`${floor.url}/api/auth/password/login`, floor.signIns),
        pid: floor.pid,
      },
    });

    // The table's first column fits the longest target name.
    const NAME_WIDTH = Math.max(...Object.values(measured).map((target) => target.name.length));
    const samples = Object.fromEntries(Object.keys(measured).map((key) => [key, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [key, target] of Object.entries(measured)) {
        const result = target.run
          ? await target.run()
          : await measure(target.url, {
              ...target.options,
              pid: target.pid,
              ...(target.connections ? { connections: target.connections } : {}),
            });
        samples[key].push(result);
        out(`  round ${round}: ${target.name.padEnd(NAME_WIDTH)} ${result.rps.toFixed(0).padStart(8)} /s`);
      }
    }
    const rows = Object.fromEntries(
      Object.entries(samples).map(([key, list]) => [
        key,
        {
          name: measured[key].name,
          generator: list[0].generator ?? null,
          rps: median(list.map((r) => r.rps)),
          rpsMin: Math.min(...list.map((r) => r.rps)),
          rpsMax: Math.max(...list.map((r) => r.rps)),
          p50: list[0].p50 === null ? null : median(list.map((r) => r.p50)),
          p99: list[0].p99 === null ? null : median(list.map((r) => r.p99)),
          serverUs: orNull(list.map((r) => r.serverUs)),
          loadUs: orNull(list.map((r) => r.loadUs)),
        },
      ]),
    );
    for (const row of Object.values(rows)) row.ratio = row.rps / rows.hello.rps;

    // On a fresh server: one that served the rows above and then sat idle while the others ran
    // has given heap back to the system, and would regrow it during the soak's first minutes.
    const soakResult = soakServer ? await soakFresh(soakServer.db) : null;

    // A ratio round by round (both sides measured close together in time), then across rounds.
    const ratio = (a, b) =>
      samples[a] && samples[b]
        ? acrossRounds(samples[a].map((result, round) => result.rps / samples[b][round].rps))
        : null;
    const p = primary;
    const judged = (name, range, target, options) => {
      const outcome = verdict(range, target, options);
      return {
        name,
        value: range.median,
        min: range.min,
        max: range.max,
        rounds: range.rounds,
        target,
        verdict: outcome,
        met: outcome === 'met',
      };
    };
    const targetsMet = [
      ['/token ≥ 0.25× hello-world', ratio(`token:${p}`, 'hello'), 0.25],
      ['/token ≥ 20× Better Auth /token', ratio(`token:${p}`, 'baToken'), 20],
      ['/token ≥ 3× oidc-provider client_credentials', ratio(`token:${p}`, 'oidcToken'), 3],
      ['/me ≥ 0.40× hello-world', ratio(`me:${p}`, 'hello'), 0.4],
      ['/me ≥ 15× Better Auth get-session', ratio(`me:${p}`, 'baSession'), 15],
      ['/token 100 000 grants ≥ 0.9× 100 grants', ratio('tokenLarge', `token:${p}`), 0.9],
      ['/me --workers 2 ≥ 1.6× one worker', ratio('meWorkers', `me:${p}`), 1.6],
      ['/token --workers 2 ≥ 1.6× one worker', ratio('tokenWorkers', `token:${p}`), 1.6],
      ['PostgreSQL /me ≥ 0.5× SQLite /me', ratio('me:postgres', 'me:sqlite'), 0.5],
      ['password sign-in ≥ 0.9× raw Argon2id verify', ratio('password', 'argon2'), 0.9],
    ]
      .filter(([, range]) => range !== null)
      .map(([name, range, target]) => judged(name, range, target));
    // "p99 at 32 connections ≤ 3 ms" for 100 and for 100 000 grants: one worker pinned to one
    // core, and `--workers 2` (the production default on two cores); in each round the worse of
    // the two counts.
    for (const [label, small, large] of [
      ['one worker', 'token32', 'tokenLarge32'],
      ['--workers 2', 'token32Workers', 'tokenLarge32Workers'],
    ]) {
      if (!samples[small] || !samples[large]) continue;
      const worst = acrossRounds(
        samples[small].map((result, round) => Math.max(result.p99, samples[large][round].p99)),
      );
      targetsMet.push(judged(`/token p99 at 32 connections ≤ 3 ms, ${label}`, worst, 3, { atMost: true }));
    }
    if (soakResult) {
      targetsMet.push(
        judged(
          `RSS after ${soakResult.seconds}s of /token within 10 % of RSS at ${soakResult.checkpoint}s`,
          acrossRounds([soakResult.growth]),
          1.1,
          { atMost: true },
        ),
      );
    }

    out('');
    out(
      `| ${'Target'.padEnd(NAME_WIDTH)} | ${'req/s'.padStart(8)} | ${'± %'.padStart(5)} | ${'p50 ms'.padStart(6)} | ${'p99 ms'.padStart(6)} | ${'× hello'.padStart(7)} | ${'server µs'.padStart(9)} | ${'load µs'.padStart(7)} |`,
    );
    out(
      `| ${'-'.repeat(NAME_WIDTH)} | ${'-'.repeat(7)}: | ${'-'.repeat(4)}: | ${'-'.repeat(5)}: | ${'-'.repeat(5)}: | ${'-'.repeat(6)}: | ${'-'.repeat(8)}: | ${'-'.repeat(6)}: |`,
    );
    const us = (value, width) => (value === null ? '—' : value.toFixed(1)).padStart(width);
    // Half the range of req/s over the rounds, as a share of the median: how far the machine drifted.
    const spread = (row) => (ROUNDS < 2 ? '—' : ((50 * (row.rpsMax - row.rpsMin)) / row.rps).toFixed(1));
    for (const row of Object.values(rows)) {
      out(
        `| ${row.name.padEnd(NAME_WIDTH)} | ${row.rps.toFixed(0).padStart(8)} | ${spread(row).padStart(5)} | ${formatMs(row.p50).padStart(6)} | ${formatMs(row.p99).padStart(6)} | ${row.ratio.toFixed(3).padStart(7)} | ${us(row.serverUs, 9)} | ${us(row.loadUs, 7)} |`,
      );
    }
    out('');
    out(`Targets (printed, never asserted; "met" in every round, "not met" in none, else "within noise"):`);
    for (const t of targetsMet) {
      const range = t.rounds > 1 ? `, ${t.min.toFixed(2)}–${t.max.toFixed(2)} over ${t.rounds} rounds` : '';
      out(
        `  ${t.verdict.padEnd(12)}  ${t.name.padEnd(58)} ${t.value.toFixed(2)} (target ${t.target}${range})`,
      );
    }
    const ofFloor = [
      ['/token', ratio(`token:${p}`, 'floorToken')?.median ?? null],
      ['/me', ratio(`me:${p}`, 'floorMe')?.median ?? null],
      ['password sign-in', ratio('password', 'floorPassword')?.median ?? null],
    ].filter(([, value]) => value !== null);
    out(
      `Pylon ÷ the hand-written floor (1.00 = nothing beyond the read and the signature): ${ofFloor
        .map(([name, value]) => `${name} ${value.toFixed(2)}`)
        .join(', ')}`,
    );
    // What the password target asks of any server on this machine: the floor does less than a
    // sign-in must (no limits, audit or durable commit), so no server's ratio should exceed its.
    const floorOfHash = ratio('floorPassword', 'argon2');
    if (floorOfHash) {
      const range =
        floorOfHash.rounds > 1
          ? ` (${floorOfHash.min.toFixed(2)}–${floorOfHash.max.toFixed(2)} over ${floorOfHash.rounds} rounds)`
          : '';
      out(
        `The floor's password sign-in ÷ raw Argon2id verify: ${floorOfHash.median.toFixed(2)}${range} — ` +
          'the most any password sign-in reaches here (the target asks 0.9)',
      );
    }
    const limits = machineLimits(rows, p);
    if (limits.lines.length > 0) {
      out('What this machine allows, from the CPU each request cost (server µs and load µs above):');
      for (const line of limits.lines) out(`  ${line}`);
    }
    if (soakResult) {
      out(
        `  soak: RSS ${soakResult.early.toFixed(1)} MiB at ${soakResult.checkpoint}s → ${soakResult.late.toFixed(1)} MiB at ${soakResult.seconds}s, ${soakResult.rps.toFixed(0)} req/s`,
      );
    }
    if (json) {
      console.log(
        JSON.stringify(
          {
            date: new Date().toISOString(),
            machine: {
              cpu: cpus()[0]?.model,
              cores: CORES,
              memoryGiB: Math.round(totalmem() / 2 ** 30),
              kernel: release(),
              node: process.version,
            },
            settings: {
              seconds: DURATION_SECONDS,
              connections: CONNECTIONS,
              rounds: ROUNDS,
              pinning: PINNING,
              loadGenerator: LOAD_GENERATOR,
              databases: dbs,
            },
            rows,
            targets: targetsMet,
            ofFloor: Object.fromEntries(ofFloor),
            floorPasswordOfHash: floorOfHash,
            limits: limits.values,
            soak: soakResult,
          },
          null,
          2,
        ),
      );
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}
