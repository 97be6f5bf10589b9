import { createServer, type Server, Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  built,
  type Cluster,
  childrenOf,
  connectionsHeldBy,
  startCluster,
  stopCluster,
  until,
} from '../support/cluster.js';
import { postgresAvailable, type ScratchDatabase, testDatabases } from '../support/databases.js';

const postgres = testDatabases.find((each) => each.kind === 'postgres');
const sqlite = testDatabases.find((each) => each.kind === 'sqlite')!;

/** `GET /health` on a connection of its own: its status, or null when the connection failed. */
async function health(url: string): Promise<number | null> {
  try {
    return (await fetch(`${url}/health`, { headers: { connection: 'close' } })).status;
  } catch {
    return null;
  }
}

const messages = (pylon: Cluster) => pylon.logs().map((line) => String(line.msg));

describe.runIf(built && postgresAvailable)('serve --workers 2 while PostgreSQL refuses connections', () => {
  let database: ScratchDatabase;
  let name: string;
  let pylon: Cluster;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: new URL('/postgres', database.config.url).toString() });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    database = await postgres!.create();
    name = decodeURIComponent(new URL(database.config.url).pathname.slice(1));
    pylon = await startCluster(database);
  }, 60_000);

  afterAll(async () => {
    await stopCluster(pylon);
    if (database) {
      await admin(`alter database ${name} allow_connections true`);
      await database.drop();
    }
  });

  it('keeps the healthy worker serving, retries the replacement with a back-off, and recovers', async () => {
    // The database goes away: new connections refused, the open ones cut.
    await admin(`alter database ${name} allow_connections false`);
    await admin(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}'`);
    const [victim, survivor] = childrenOf(pylon.child.pid!);
    process.kill(victim!, 'SIGKILL');

    // Worker 3 replaces it, cannot open the database, and is tried again after 1 s, then 2 s.
    const refused = (id: number, seconds: number) =>
      new RegExp(
        `^worker ${id} exited \\(code 1\\) before it listened: database "${name}" is not currently accepting connections; starting another in ${seconds} s$`,
      );
    // (Or the primary gives up, as it once did: stopping the healthy worker and exiting 1.)
    const triedAgain = async (id: number, seconds: number) => {
      const lines = await until(
        () => messages(pylon),
        (seen) => pylon.child.exitCode !== null || seen.some((line) => refused(id, seconds).test(line)),
      );
      expect(pylon.child.exitCode, lines.join('\n')).toBeNull();
    };
    await triedAgain(3, 1);
    await triedAgain(4, 2);
    // Meanwhile the primary runs and the other worker answers.
    expect(childrenOf(pylon.child.pid!)).toContain(survivor);
    expect(await health(pylon.url)).toBe(200);
    const failed = pylon.logs().filter((line) => /before it listened/.test(String(line.msg)));
    expect(failed.every((line) => line.level === 40 && line.err === undefined)).toBe(true);
    expect(messages(pylon).some((line) => /stopping/.test(line))).toBe(false);
    expect(pylon.stderr()).toBe('');

    // The database is back: the next try listens, and the cluster is whole again.
    await admin(`alter database ${name} allow_connections true`);
    await until(
      () => messages(pylon),
      (lines) => lines.some((line) => /^worker \d+ listening, after \d+ failed start\(s\)$/.test(line)),
    );
    expect(childrenOf(pylon.child.pid!)).toHaveLength(2);
    await until(
      async () => (await fetch(`${pylon.url}/ready`, { headers: { connection: 'close' } })).status,
      (status) => status === 200,
    );
    // No level 50 or 60 line, no stack anywhere.
    expect(pylon.logs().filter((line) => Number(line.level) >= 50)).toEqual([]);
    expect(JSON.stringify(pylon.logs())).not.toMatch(/\\n\s+at /);

    pylon.child.kill('SIGTERM');
    expect(await pylon.exited).toBe(0);
  }, 90_000);
});

describe.runIf(built)('serve --workers 2: a start-up that fails', () => {
  let taken: Server;
  let database: ScratchDatabase;

  beforeAll(async () => {
    database = await sqlite.create();
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => taken.close(resolve));
    await database.drop();
  });

  it('stops every worker and exits 1 when the first workers cannot listen (a port in use), naming why', async () => {
    const port = (taken.address() as { port: number }).port;
    const started = startCluster(database, { PYLON_PORT: String(port) });
    await expect(started).rejects.toThrow(/exited \(1\) before listening/);
    const error = String(await started.catch((caught: Error) => caught.message));
    expect(error).toMatch(
      /"level":50,.*"msg":"worker [12] exited \(code 1\) before it listened: [^"]*EADDRINUSE[^"]*; stopping"/,
    );
    expect(error).toContain('start-up failed: stopping');
  }, 60_000);
});

/**
 * Fresh connections, `concurrency` at a time, one request each, until stopped. A connection with
 * no answer and no reset for `hangMs` counts as hung and is dropped (a bound, never waited out
 * when the server behaves).
 */
function loadOf(port: number, concurrency: number, hangMs = 20_000) {
  let stopped = false;
  let answered = 0;
  let hung = 0;
  let open = 0;
  const ended: Array<() => void> = [];
  const one = () => {
    if (stopped) return;
    open++;
    const socket = new Socket();
    let reply = '';
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
    });
    // A worker killed with the connection is a reset: the client learns at once, and tries again.
    socket.on('error', () => {});
    socket.setTimeout(hangMs, () => {
      hung++;
      socket.destroy();
    });
    socket.on('close', () => {
      open--;
      if (reply.startsWith('HTTP/1.1 200')) answered++;
      if (open === 0 && stopped) for (const done of ended.splice(0)) done();
      one();
    });
    socket.connect(port, '127.0.0.1', () => {
      socket.end('GET /health HTTP/1.1\r\nhost: pylon\r\nconnection: close\r\n\r\n');
    });
  };
  for (let i = 0; i < concurrency; i++) one();
  return {
    answered: () => answered,
    hung: () => hung,
    /** Stop starting connections; resolves once every open one has ended. */
    stop: () =>
      new Promise<void>((resolve) => {
        stopped = true;
        if (open === 0) resolve();
        else ended.push(resolve);
      }),
  };
}

describe.runIf(built)(
  'serve --workers 2 with NODE_CLUSTER_SCHED_POLICY=none: a worker killed under a stream of new connections',
  () => {
    let database: ScratchDatabase;
    let pylon: Cluster;

    beforeAll(async () => {
      database = await sqlite.create();
      pylon = await startCluster(database, {
        PYLON_LOG_LEVEL: 'warn',
        NODE_CLUSTER_SCHED_POLICY: 'none',
      });
    }, 60_000);

    afterAll(async () => {
      await stopCluster(pylon);
      await database?.drop();
    });

    it('leaves no connection open in the primary: every client is answered or reset', async () => {
      const load = loadOf(pylon.port, 16);
      await until(load.answered, (count) => count >= 200);
      const [victim] = childrenOf(pylon.child.pid!);
      process.kill(victim!, 'SIGKILL');
      const atKill = load.answered();
      // The other worker goes on answering while the replacement starts.
      await until(load.answered, (count) => count >= atKill + 200);
      await load.stop();
      expect(load.hung()).toBe(0);
      expect(connectionsHeldBy(pylon.child.pid!, pylon.port)).toEqual([]);
    }, 90_000);
  },
);
