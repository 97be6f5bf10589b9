// `npm run soak -- [--minutes M | --requests N] [--db sqlite|postgres] [--concurrency C] [--json]`:
// a bounded run of mixed traffic (sign-ins, /me, /token, grants, sign-outs and grant revocations)
// against one built Pylon server, then against two processes on one PostgreSQL database, where
// every revocation made through one process is checked at once on the other. Reports per window:
// requests, errors, p50/p99 latency, each server's RSS and event-loop delay (from its /metrics),
// and at the end whether memory stayed flat. Loopback only. Exit code 1 when anything failed.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rssMiB, startPylon } from './lib.mjs';

const ADMIN_TOKEN = 'ad'.repeat(32);
const APP = 'example';
const SCHEMA = readFileSync(
  new URL('../packages/core/test/fixtures/schema-prepare/reference.prepared.json', import.meta.url),
  'utf8',
);
/** Rate limits out of the way: the load comes from one address and signs many people in. */
const SOAK_ENV = {
  PYLON_ADMIN_TOKEN: ADMIN_TOKEN,
  PYLON_RATE_LIMIT_CODE_SENDS_PER_MINUTE: '1000000',
  PYLON_RATE_LIMIT_CODE_SENDS_PER_HOUR: '1000000',
  PYLON_RATE_LIMIT_CODE_VERIFICATIONS_PER_HOUR: '1000000',
  PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '1000000',
};
/** Share of each operation in the mix (sums to 100). */
const MIX = [
  ['me', 40],
  ['token', 30],
  ['signIn', 10],
  ['grant', 8],
  ['signOut', 7],
  ['revokeGrant', 5],
];
/** Live sessions kept; beyond it the oldest signs out. */
const POOL_LIMIT = 200;
/** RSS at the end may exceed RSS after the first window by this much and still count as flat. */
const FLAT_TOLERANCE = 1.1;

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

function quantile(sorted, q) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function call(url, path, { method = 'GET', token, body, headers = {} } = {}) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, json, text };
}

/** The event-loop delay the server saw since its previous scrape (p99 and max, ms). */
async function eventLoopDelay(url) {
  const { text } = await call(url, '/metrics');
  const read = (quantileLabel) =>
    Number(
      new RegExp(`pylon_event_loop_delay_seconds\\{quantile="${quantileLabel}"\\} (\\S+)`).exec(text)?.[1] ??
        NaN,
    ) * 1000;
  return { p99: read('0.99'), max: read('1') };
}

const capsOf = (scopedToken) =>
  JSON.parse(Buffer.from(scopedToken.split('.')[1], 'base64url').toString()).caps;

/** Register the app, push its schema (admin token, app token): what /token and grants act on. */
async function prepareApp(url) {
  const app = await call(url, '/apps', {
    method: 'POST',
    token: ADMIN_TOKEN,
    body: { name: APP, owner: 'soak' },
  });
  if (app.status !== 201) throw new Error(`POST /apps: ${app.status} ${app.text}`);
  const pushed = await call(url, `/apps/${APP}/schema`, {
    method: 'POST',
    headers: { 'x-pylon-app-token': app.json.app_token, 'content-type': 'application/json' },
    body: JSON.parse(SCHEMA),
  });
  if (pushed.status !== 200 && pushed.status !== 201)
    throw new Error(`schema push: ${pushed.status} ${pushed.text}`);
}

/**
 * Run the mix against `targets` (servers sharing one database) until `done()`. Each operation
 * goes to a random target; a revocation is checked on another target (the same one when alone)
 * with the very next request, since Pylon documents no delay: sessions and capabilities are read
 * from the database (through a version check) on every request.
 */
async function mixedLoad({ targets, concurrency, done, onRequest }) {
  const people = [];
  let serial = 0;
  const failures = [];
  const revocations = { sessions: 0, grants: 0, late: 0 };
  const pick = (list) => list[Math.floor(Math.random() * list.length)];
  const other = (target) => (targets.length === 1 ? target : targets.find((t) => t !== target));

  const timed = async (kind, run) => {
    const started = performance.now();
    let ok = false;
    try {
      ok = await run();
    } catch (error) {
      failures.push(`${kind}: ${error.message}`);
    }
    if (!ok && failures.length < 50) failures.push(`${kind}: unexpected answer`);
    onRequest(performance.now() - started, ok);
  };
  const expect = (kind, answer, statuses) => {
    if (statuses.includes(answer.status)) return true;
    if (failures.length < 50) failures.push(`${kind}: ${answer.status} ${answer.text.slice(0, 200)}`);
    return false;
  };

  const revokeAndCheck = async (person) => {
    const target = pick(targets);
    const before = await call(other(target).url, '/token', {
      method: 'POST',
      token: person.token,
      body: { app_id: APP },
    });
    if (!expect('token before revoke', before, [200])) return false;
    if (capsOf(before.json.scoped_token).length === 0) failures.push('token before revoke: no capabilities');
    const revoked = await call(target.url, `/roles/${APP}/${sha256(person.email)}`, {
      method: 'DELETE',
      token: ADMIN_TOKEN,
    });
    if (!expect('revoke grant', revoked, [200])) return false;
    person.granted = false;
    revocations.grants++;
    const after = await call(other(target).url, '/token', {
      method: 'POST',
      token: person.token,
      body: { app_id: APP },
    });
    // With its only grant gone, a person who is no member of the org has no standing in the app:
    // 403 `not_a_member` on the other process is the revocation holding there.
    if (!expect('token after revoke', after, [200, 403])) return false;
    if (after.status === 200 && capsOf(after.json.scoped_token).length > 0) {
      revocations.late++;
      failures.push(`grant revoked on one process still gave capabilities on the other (${person.email})`);
      return false;
    }
    return true;
  };

  const operations = {
    signIn: async () => {
      const target = pick(targets);
      const email = `soak-${process.pid}-${++serial}@example.com`;
      const sent = await call(target.url, '/api/auth/magic/send', { method: 'POST', body: { email } });
      if (!expect('magic/send', sent, [200])) return false;
      const verified = await call(target.url, '/api/auth/magic/verify', {
        method: 'POST',
        body: { email, code: sent.json.dev_code },
      });
      if (!expect('magic/verify', verified, [200])) return false;
      people.push({ email, token: verified.json.token, granted: false, busy: false, uses: 0 });
      return true;
    },
    me: async () => {
      const person = pick(people.filter((p) => !p.busy));
      if (!person) return operations.signIn();
      person.uses++;
      const me = await call(pick(targets).url, '/api/auth/me', { token: person.token }).finally(
        () => person.uses--,
      );
      if (!expect('me', me, [200])) return false;
      // /me answers 200 `anonymous` to a token it does not know: a live session names its person.
      if (me.json.email === person.email) return true;
      failures.push(`me: a live session was not recognised (${me.text.slice(0, 200)})`);
      return false;
    },
    token: async () => {
      const person = pick(people.filter((p) => !p.busy));
      if (!person) return operations.signIn();
      person.uses++;
      const minted = await call(pick(targets).url, '/token', {
        method: 'POST',
        token: person.token,
        body: { app_id: APP },
      }).finally(() => person.uses--);
      // Someone with no grant who is no member of the org is refused (403 not_a_member).
      return expect('token', minted, person.granted ? [200] : [403]);
    },
    grant: async () => {
      const person = pick(people.filter((p) => !p.busy && !p.granted));
      if (!person) return operations.me();
      person.busy = true;
      const granted = await call(pick(targets).url, '/roles', {
        method: 'POST',
        token: ADMIN_TOKEN,
        body: { email: person.email, app_id: APP, archetype: 'admin' },
      });
      person.granted = granted.status === 200 || granted.status === 201;
      person.busy = false;
      return expect('grant', granted, [200, 201]);
    },
    revokeGrant: async () => {
      const person = pick(people.filter((p) => !p.busy && p.granted));
      if (!person) return operations.grant();
      // Busy until the check after the revocation is done: a sign-out picking this person in
      // between would make the check see no session at all.
      person.busy = true;
      try {
        return await revokeAndCheck(person);
      } finally {
        person.busy = false;
      }
    },
    signOut: async () => {
      // Only a session no request is using: one in flight would rightly be refused mid-way.
      const candidates = people.filter((p) => !p.busy && p.uses === 0);
      if (candidates.length < 2) return operations.signIn();
      const person = candidates[0];
      person.busy = true;
      const target = pick(targets);
      const out = await call(target.url, '/api/auth/session', { method: 'DELETE', token: person.token });
      if (!expect('sign out', out, [200, 204])) return false;
      people.splice(people.indexOf(person), 1);
      revocations.sessions++;
      const after = await call(other(target).url, '/api/auth/me', { token: person.token });
      // Refused outright, or answered as nobody (`/me` is public and answers `anonymous`).
      if (after.status !== 401 && !(after.status === 200 && after.json?.userId === null)) {
        revocations.late++;
        failures.push(`session signed out on one process was still accepted on the other (${after.status})`);
        return false;
      }
      return true;
    },
  };
  const total = MIX.reduce((sum, [, weight]) => sum + weight, 0);
  const choose = () => {
    let roll = Math.random() * total;
    for (const [name, weight] of MIX) {
      roll -= weight;
      if (roll < 0) return name;
    }
    return MIX[0][0];
  };

  for (let n = 0; n < 10; n++) await timed('signIn', operations.signIn);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!done()) {
        const name = people.length > POOL_LIMIT ? 'signOut' : choose();
        await timed(name, operations[name]);
      }
    }),
  );
  return { failures, revocations };
}

/** One phase: targets on one database, windows of figures, the verdict. */
async function phase({ name, targets, minutes, requests, concurrency, log }) {
  const windows = [];
  const bounded = requests !== undefined;
  const windowCount = 10;
  const windowMs = bounded ? Number.POSITIVE_INFINITY : (minutes * 60_000) / windowCount;
  const windowRequests = bounded ? Math.max(1, Math.ceil(requests / windowCount)) : Number.POSITIVE_INFINITY;
  const started = Date.now();
  let current = { latencies: [], errors: 0, startedAt: started };
  let answered = 0;
  let errors = 0;
  await Promise.all(targets.map((target) => eventLoopDelay(target.url))); // start each window afresh
  const closeWindow = async (finished) => {
    const sorted = finished.latencies.sort((a, b) => a - b);
    const delays = await Promise.all(
      targets.map((target) => eventLoopDelay(target.url).catch(() => ({ p99: NaN, max: NaN }))),
    );
    const window = {
      at_s: Math.round((Date.now() - started) / 1000),
      requests: sorted.length,
      errors: finished.errors,
      p50_ms: Number(quantile(sorted, 0.5).toFixed(1)),
      p99_ms: Number(quantile(sorted, 0.99).toFixed(1)),
      rss_mib: targets.map((target) => Number(rssMiB(target.pid).toFixed(1))),
      event_loop_p99_ms: delays.map((d) => Number(d.p99.toFixed(1))),
      event_loop_max_ms: delays.map((d) => Number(d.max.toFixed(1))),
    };
    windows.push(window);
    log(
      `${name} t=${String(window.at_s).padStart(4)}s  ${String(window.requests).padStart(6)} req  ${window.errors} err  ` +
        `p50 ${window.p50_ms} ms  p99 ${window.p99_ms} ms  RSS ${window.rss_mib.join(' / ')} MiB  ` +
        `loop p99 ${window.event_loop_p99_ms.join(' / ')} ms (max ${window.event_loop_max_ms.join(' / ')})`,
    );
  };
  let closing = Promise.resolve();
  const done = () => (bounded ? answered >= requests : Date.now() - started >= minutes * 60_000);
  const { failures, revocations } = await mixedLoad({
    targets,
    concurrency,
    done,
    onRequest(ms, ok) {
      answered++;
      current.latencies.push(ms);
      if (!ok) {
        current.errors++;
        errors++;
      }
      const full = bounded
        ? current.latencies.length >= windowRequests
        : Date.now() - current.startedAt >= windowMs;
      if (full) {
        const finished = current;
        current = { latencies: [], errors: 0, startedAt: Date.now() };
        closing = closing.then(() => closeWindow(finished));
      }
    },
  });
  await closing;
  if (current.latencies.length > 0) await closeWindow(current);
  const first = windows[0]?.rss_mib ?? [];
  const last = windows.at(-1)?.rss_mib ?? [];
  const growth = last.map((rss, i) => rss / first[i]);
  return {
    name,
    processes: targets.length,
    seconds: Math.round((Date.now() - started) / 1000),
    requests: answered,
    errors,
    failures: failures.slice(0, 20),
    revocations,
    windows,
    rss_growth: growth.map((g) => Number(g.toFixed(3))),
    memory_flat: growth.every((g) => g <= FLAT_TOLERANCE),
  };
}

/**
 * The whole soak: phase one on `db` with one server, phase two (when PostgreSQL is reachable and
 * `twoProcesses` is on) with two servers on one PostgreSQL database.
 */
export async function runSoak({
  minutes,
  requests,
  db = 'sqlite',
  concurrency = 8,
  twoProcesses = true,
  log = console.log,
}) {
  const phases = [];
  const single = await startPylon({ db, env: SOAK_ENV });
  try {
    await prepareApp(single.url);
    phases.push(
      await phase({ name: `1 process (${db})`, targets: [single], minutes, requests, concurrency, log }),
    );
  } finally {
    await single.stop();
  }
  if (twoProcesses) {
    const first = await startPylon({ db: 'postgres', env: SOAK_ENV });
    try {
      const second = await startPylon({ db: 'postgres', postgresURL: first.databaseURL, env: SOAK_ENV });
      try {
        await prepareApp(first.url);
        phases.push(
          await phase({
            name: '2 processes (postgres)',
            targets: [first, second],
            minutes,
            requests,
            concurrency,
            log,
          }),
        );
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
    }
  }
  return {
    ok: phases.every((p) => p.errors === 0 && p.revocations.late === 0),
    phases,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      requests: { type: 'string' },
      db: { type: 'string', default: 'sqlite' },
      concurrency: { type: 'string', default: '8' },
      'one-process': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const requests = values.requests === undefined ? undefined : Number(values.requests);
  const minutes = requests === undefined ? Number(values.minutes ?? 10) : undefined;
  if (requests !== undefined && !(requests > 0)) throw new Error('--requests must be a positive number');
  if (minutes !== undefined && !(minutes > 0)) throw new Error('--minutes must be a positive number');
  if (values.db !== 'sqlite' && values.db !== 'postgres') throw new Error('--db is sqlite or postgres');
  const log = values.json ? () => {} : console.log;
  log(
    `pylon soak: ${requests === undefined ? `${minutes} min` : `${requests} requests`} per phase, ` +
      `${values.concurrency} concurrent clients, loopback only`,
  );
  const result = await runSoak({
    minutes,
    requests,
    db: values.db,
    concurrency: Number(values.concurrency),
    twoProcesses: !values['one-process'],
    log,
  });
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    for (const p of result.phases) {
      console.log(
        `${p.name}: ${p.requests} requests in ${p.seconds}s, ${p.errors} errors; ` +
          `revocations checked on ${p.processes === 1 ? 'the same process' : 'the other process'}: ` +
          `${p.revocations.sessions} sign-outs, ${p.revocations.grants} grant revocations, ${p.revocations.late} honoured late; ` +
          `RSS growth ${p.rss_growth.map((g) => `${((g - 1) * 100).toFixed(1)} %`).join(' / ')} → memory ${p.memory_flat ? 'flat' : 'NOT flat'}`,
      );
      for (const failure of p.failures) console.log(`  ${failure}`);
    }
  }
  process.exit(result.ok ? 0 : 1);
}
