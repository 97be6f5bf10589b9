import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWorkers } from '../../src/config/parse-workers.js';
import {
  bin,
  built,
  type Cluster,
  childrenOf,
  startCluster,
  stopCluster,
  until,
} from '../support/cluster.js';
import { type ScratchDatabase, testDatabases } from '../support/databases.js';

describe('parseWorkers', () => {
  it('defaults to every core in production and one process in development', () => {
    expect(parseWorkers([], {}, true, 8)).toBe(8);
    expect(parseWorkers([], {}, false, 8)).toBe(1);
  });

  it('takes --workers over PYLON_WORKERS, in both spellings', () => {
    expect(parseWorkers(['serve', '--workers', '3'], { PYLON_WORKERS: '5' }, true, 8)).toBe(3);
    expect(parseWorkers(['serve', '--workers=2'], {}, false, 8)).toBe(2);
    expect(parseWorkers(['serve'], { PYLON_WORKERS: '5' }, false, 8)).toBe(5);
  });

  it('refuses a count that is not a whole number from 1 to 256, naming where it came from', () => {
    for (const bad of ['0', '-1', '1.5', 'two', '257']) {
      expect(() => parseWorkers(['serve', '--workers', bad], {}, true, 8)).toThrow(/^--workers: /);
      expect(() => parseWorkers([], { PYLON_WORKERS: bad }, true, 8)).toThrow(/^PYLON_WORKERS: /);
    }
    expect(() => parseWorkers(['serve', '--workers'], {}, true, 8)).toThrow(/^--workers: /);
    expect(() => parseWorkers(['serve', '--workers='], {}, true, 8)).toThrow(/^--workers: /);
  });
});

/**
 * POST on a connection of its own (no keep-alive), so the cluster's primary hands each request
 * to the next worker in turn instead of the same one.
 */
interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** The X-Request-Id it answered with: its access-log line names the worker that served it. */
  requestId: string;
}

function fresh(
  method: string,
  url: string,
  options: { body?: unknown; token?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const data = options.body === undefined ? null : JSON.stringify(options.body);
    const req = request(
      url,
      {
        method,
        agent: false,
        headers: {
          connection: 'close',
          ...(data === null
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            body: JSON.parse(text),
            requestId: String(res.headers['x-request-id']),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(data ?? undefined);
  });
}

const postFresh = (url: string, body: unknown) => fresh('POST', url, { body });

/** `GET /metrics` on a connection of its own: the cluster's merged figures, whichever worker answers. */
function scrape(url: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    request(`${url}/metrics`, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

/**
 * The workers that served these answers, by their request ids. A worker's log line reaches this
 * process through a pipe some time after its response reached the client, so it waits for every
 * line (the test's timeout bounds it).
 */
async function servedBy(pylon: Cluster, answers: readonly Answer[]): Promise<Set<unknown>> {
  const ids = new Set(answers.map((answer) => answer.requestId));
  const lines = await until(
    () => pylon.logs().filter((line) => line.msg === 'request' && ids.has(String(line.requestId))),
    (found) => found.length === ids.size,
  );
  return new Set(lines.map((line) => line.worker));
}

/**
 * `ask` eight at a time, each on a connection of its own, until both workers have served at least
 * one (the primary hands connections to whichever worker is free, so one round may land on one
 * worker only); at most ten rounds. Every answer, in order.
 */
async function askUntilBothWorkers(pylon: Cluster, ask: () => Promise<Answer>): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let round = 0; round < 10; round++) {
    answers.push(...(await Promise.all(Array.from({ length: 8 }, ask))));
    if ((await servedBy(pylon, answers)).size === 2) break;
  }
  return answers;
}

describe.runIf(built).each(testDatabases)('serve --workers 2 on $kind', (kind) => {
  let database: ScratchDatabase;
  let pylon: Cluster;

  beforeAll(async () => {
    database = await kind.create();
    pylon = await startCluster(database, { PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '1000000' });
  }, 60_000);

  afterAll(async () => {
    await stopCluster(pylon);
    await database?.drop();
  });

  it('migrated once and published exactly one signing key before the workers started', async () => {
    const keys = await (await fetch(`${pylon.url}/.well-known/jwks.json`)).json();
    expect(keys.keys).toHaveLength(1);
    const applied = pylon.logs().filter((line) => String(line.msg).startsWith('migration 0001'));
    expect(applied).toHaveLength(1);
    expect(applied[0]!.worker).toBeUndefined();
  });

  it('a sign-in code is single-use across workers: of eight concurrent uses exactly one signs in', async () => {
    const email = `once-${kind.kind}@example.com`;
    const sent = await postFresh(`${pylon.url}/api/auth/magic/send`, { email });
    expect(sent.status).toBe(200);
    const code = sent.body.dev_code;
    expect(code).toMatch(/^\d+$/);
    // Eight at once, and more rounds until both workers have taken some.
    const uses = await askUntilBothWorkers(pylon, () =>
      postFresh(`${pylon.url}/api/auth/magic/verify`, { email, code }),
    );
    expect(uses.filter((use) => use.status === 200)).toHaveLength(1);
    // The others are refused as a used code (401), or, when they raced past the five evaluated
    // attempts a code allows, as a burned one (429): never a second session.
    const refusals = uses
      .filter((use) => use.status !== 200)
      .map((use) => `${use.status} ${(use.body.error as { code?: string })?.code}`);
    expect(refusals).toHaveLength(uses.length - 1);
    for (const refusal of refusals) expect(['401 INVALID_CODE', '429 RATE_LIMITED']).toContain(refusal);
    expect(await servedBy(pylon, uses)).toEqual(new Set([1, 2]));
  });

  it('a rate limit counts hits on both workers together: one code a minute per email, of eight asks', async () => {
    const email = `limited-${kind.kind}@example.com`;
    const asks = await askUntilBothWorkers(pylon, () =>
      postFresh(`${pylon.url}/api/auth/magic/send`, { email }),
    );
    expect(asks.filter((ask) => ask.status === 200)).toHaveLength(1);
    const refused = asks.filter((ask) => ask.status !== 200);
    expect(refused).toHaveLength(asks.length - 1);
    expect(
      refused.every(
        (ask) => ask.status === 429 && (ask.body.error as { code?: string })?.code === 'RATE_LIMITED',
      ),
    ).toBe(true);
    expect(await servedBy(pylon, asks)).toEqual(new Set([1, 2]));
  });

  it('/metrics answers for every worker: the requests both served are counted together', async () => {
    const refused = await askUntilBothWorkers(pylon, () =>
      postFresh(`${pylon.url}/api/auth/magic/send`, { email: 'nope' }),
    );
    expect(refused.map((answer) => answer.status)).toEqual(Array(refused.length).fill(400));
    expect(await servedBy(pylon, refused)).toEqual(new Set([1, 2]));
    // Whichever worker a scrape lands on (two scrapes on fresh connections: one each), the count is
    // the cluster's.
    for (let round = 0; round < 2; round++) {
      const text = await scrape(pylon.url);
      const line = text
        .split('\n')
        .find(
          (each) =>
            each.startsWith('pylon_http_requests_total{') &&
            each.includes('route="/api/auth/magic/send"') &&
            each.includes('status="400"'),
        );
      expect(line, text.slice(0, 2000)).toBeDefined();
      expect(Number(line!.split(' ').at(-1))).toBe(refused.length);
    }
  });

  it('a session both workers answered from memory is refused by both at once after a sign-out', async () => {
    const email = `kept-${kind.kind}@example.com`;
    const sent = await postFresh(`${pylon.url}/api/auth/magic/send`, { email });
    const verified = await postFresh(`${pylon.url}/api/auth/magic/verify`, {
      email,
      code: sent.body.dev_code,
    });
    expect(verified.status).toBe(200);
    const token = String(verified.body.token);
    const me = () => fresh('GET', `${pylon.url}/api/auth/me`, { token });
    const hits = async () =>
      Number(
        (await scrape(pylon.url))
          .split('\n')
          .find((line) => line.startsWith('pylon_db_read_cache_total{outcome="hit"}'))
          ?.split(' ')
          .at(-1) ?? 0,
      );
    const hitsBefore = await hits();
    // Eight or more look-ups over two workers: at least one worker answers twice, the second
    // time from memory on SQLite (nothing is written in between).
    const before = await askUntilBothWorkers(pylon, me);
    expect(before.map((answer) => answer.body.email)).toEqual(Array(before.length).fill(email));
    expect(await servedBy(pylon, before)).toEqual(new Set([1, 2]));
    if (kind.kind === 'sqlite') expect(await hits()).toBeGreaterThan(hitsBefore);
    const signedOut = await fresh('DELETE', `${pylon.url}/api/auth/session`, { token });
    expect(signedOut.status).toBe(200);
    const after = await askUntilBothWorkers(pylon, me);
    expect(after.map((answer) => answer.body.userId)).toEqual(Array(after.length).fill(null));
    expect(await servedBy(pylon, after)).toEqual(new Set([1, 2]));
  });

  it('replaces a worker that dies, and keeps serving', async () => {
    const before = await until(
      () => childrenOf(pylon.child.pid!),
      (pids) => pids.length === 2,
    );
    process.kill(before[0]!, 'SIGKILL');
    const after = await until(
      () => childrenOf(pylon.child.pid!),
      (pids) => pids.length === 2 && !pids.includes(before[0]!),
    );
    expect(after).toContain(before[1]);
    await until(
      () => pylon.logs().some((line) => line.msg === 'request' && line.worker === 3),
      (served) => {
        if (!served) void fetch(`${pylon.url}/health`, { headers: { connection: 'close' } }).catch(() => {});
        return served;
      },
    );
    expect(pylon.logs().some((line) => /^worker [12] exited \(signal SIGKILL\)/.test(String(line.msg)))).toBe(
      true,
    );
  }, 60_000);

  it('SIGTERM stops every worker gracefully and the primary exits 0', async () => {
    const workers = childrenOf(pylon.child.pid!);
    expect(workers).toHaveLength(2);
    pylon.child.kill('SIGTERM');
    expect(await pylon.exited).toBe(0);
    expect(workers.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
    const stopped = pylon.logs().filter((line) => line.msg === 'stopped');
    // The two live workers (the replacement is worker 3) and then the primary.
    const who = stopped.map((line) => line.worker ?? 'primary');
    expect(who).toHaveLength(3);
    expect(who).toContain(3);
    expect(who[2]).toBe('primary');
  }, 30_000);
});

describe.runIf(built)('serve --workers: refused values', () => {
  it('exits 78 naming the flag', () => {
    const result = spawnSync(process.execPath, [bin, 'serve', '--workers', '0'], {
      env: { PATH: process.env.PATH, PYLON_DATA_DIR: mkdtempSync(join(tmpdir(), 'pylon-cluster-')) },
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('--workers: must be an integer between 1 and 256');
  }, 120_000);

  it('refuses the flag on a command other than serve', () => {
    const result = spawnSync(process.execPath, [bin, 'migrate', '--workers', '2'], {
      env: { PATH: process.env.PATH, PYLON_DATA_DIR: mkdtempSync(join(tmpdir(), 'pylon-cluster-')) },
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('usage: pylon-server');
  }, 120_000);
});
