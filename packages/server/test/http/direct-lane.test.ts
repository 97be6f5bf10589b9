import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { PylonError } from '@pylon/core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Feature } from '../../src/http/feature.js';
import { defineRoute } from '../../src/http/route-table.js';
import { type Listening, listen } from '../../src/platform/listen.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** Poll `probe` every 20 ms until `done` holds (the test's timeout bounds it). */
async function until<T>(probe: () => T, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = probe();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const ADMIN = 'admin-token-for-the-direct-lane-tests';

interface Answer {
  status: number;
  /** Raw header lines as sent, in order, the Date's value blanked. */
  headers: string[];
  body: string;
}

function send(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string | string[]>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${base}${path}`,
      { method: init.method ?? 'GET', headers: init.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            const name = res.rawHeaders[i]!;
            headers.push(`${name}: ${name.toLowerCase() === 'date' ? '…' : res.rawHeaders[i + 1]}`);
          }
          resolve({ status: res.statusCode!, headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    request.on('error', reject);
    request.end(init.body);
  });
}

/** A scoped token's answer with what differs between two mints (the jti, hence the signature) set aside. */
function withoutJTI(body: string): unknown {
  const answer = JSON.parse(body) as { scoped_token: string };
  const [header, payload, signature] = answer.scoped_token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
  expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
  expect(signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
  const { jti: _jti, ...rest } = claims;
  return { ...answer, scoped_token: { header, claims: rest } };
}

/** Test-only answers: an error with headers of its own, and a crash. */
const probes: Feature = {
  authRoutes: [
    defineRoute({
      method: 'get',
      path: '/direct-probe/limited',
      summary: 'Always 429 with Retry-After',
      responses: { 429: { description: 'RATE_LIMITED' } },
      answer: async () => {
        throw new PylonError('RATE_LIMITED', { headers: { 'Retry-After': '7' } });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/direct-probe/limited-at-once',
      summary: 'Always 429 with Retry-After, thrown before any promise',
      responses: { 429: { description: 'RATE_LIMITED' } },
      answer: () => {
        throw new PylonError('RATE_LIMITED', { headers: { 'Retry-After': '3' } });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/direct-probe/crash',
      summary: 'Always a 500',
      responses: { 500: { description: 'INTERNAL_ERROR' } },
      answer: async () => {
        throw new Error('boom');
      },
    }),
  ],
};

describe.each(testDatabases)('the direct lane answers as the full pipeline does ($kind)', (database) => {
  let t: TestServer;
  let lane: Listening;
  let full: Listening;
  let answered = 0;
  /** Per request id: whether the lane had ended the answer by the time it returned. */
  const endedBeforeReturn = new Map<string, boolean>();
  let token: string;
  let signedOut: string;
  const logged: Record<string, unknown>[] = [];

  const signIn = async (email: string) => {
    const post = (path: string, body: unknown) =>
      t.request(`/api/auth${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const sent = (await (await post('/magic/send', { email })).json()) as { dev_code: string };
    const verified = (await (await post('/magic/verify', { email, code: sent.dev_code })).json()) as {
      token: string;
    };
    return verified.token;
  };

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logged.push(JSON.parse(line));
        done();
      },
    });
    t = await startTestServer(database, {
      env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_BODY_LIMIT: '2048', PYLON_LOG_LEVEL: 'info' },
      features: () => [probes],
      logger: pino({ level: 'info' }, sink),
    });
    const direct = t.server.direct!;
    const counting = (request: IncomingMessage, response: ServerResponse) => {
      const took = direct(request, response);
      if (took) answered++;
      const id = request.headers['x-request-id'];
      if (took && typeof id === 'string') endedBeforeReturn.set(id, response.writableEnded);
      return took;
    };
    lane = await listen(t.server.fetch, 0, '127.0.0.1', counting);
    full = await listen(t.server.fetch, 0, '127.0.0.1');
    token = await signIn('direct@example.com');
    // Scoped tokens are minted for members and grantees only: a grant in the pylon app.
    const granted = await t.request('/roles', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(ADMIN) },
      body: JSON.stringify({ email: 'direct@example.com', app_id: 'pylon', archetype: 'pylon-auditor' }),
    });
    expect(granted.status).toBe(200);
    signedOut = await signIn('gone@example.com');
    const out = await t.request('/api/auth/session', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${signedOut}` },
    });
    expect(out.status).toBe(200);
  });

  afterAll(async () => {
    await lane?.close(0);
    await full?.close(0);
    await t?.close();
  });

  const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
  const json = (body: string, headers: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const unknownSession = `pylon_${'0'.repeat(64)}`;

  // [what, path, request, whether the direct lane takes it]
  const cases: [string, string, () => NonNullable<Parameters<typeof send>[2]>, boolean][] = [
    ['/me, a live session', '/api/auth/me', () => ({ headers: bearer(token) }), true],
    ['/me, a signed-out session', '/api/auth/me', () => ({ headers: bearer(signedOut) }), true],
    ['/me, an unknown session', '/api/auth/me', () => ({ headers: bearer(unknownSession) }), true],
    ['/me, a malformed bearer', '/api/auth/me', () => ({ headers: { authorization: 'Bearer !!' } }), true],
    ['/me, the admin token', '/api/auth/me', () => ({ headers: bearer(ADMIN) }), true],
    ['/me, with a cookie', '/api/auth/me', () => ({ headers: { ...bearer(token), cookie: 'a=b' } }), false],
    ['/me, with a query', '/api/auth/me?x=1', () => ({ headers: bearer(token) }), false],
    ['/me, no credential', '/api/auth/me', () => ({}), false],
    [
      '/me, two Authorization lines',
      '/api/auth/me',
      () => ({ headers: { authorization: [`Bearer ${token}`, `Bearer ${unknownSession}`] } }),
      false,
    ],
    [
      '/me, two Accept lines (Node joins them, as Hono does)',
      '/api/auth/me',
      () => ({ headers: { ...bearer(token), accept: ['application/json', 'text/plain'] } }),
      true,
    ],
    ['/whoami, a live session', '/whoami', () => ({ headers: bearer(token) }), true],
    ['/whoami, the admin token', '/whoami', () => ({ headers: bearer(ADMIN) }), true],
    ['/whoami, a signed-out session', '/whoami', () => ({ headers: bearer(signedOut) }), true],
    ['/token, no app_id', '/token', () => json('{}', bearer(token)), true],
    ['/token, a malformed app_id', '/token', () => json('{"app_id":"A!"}', bearer(token)), true],
    ['/token, an unknown app', '/token', () => json('{"app_id":"nope"}', bearer(token)), true],
    ['/token, not JSON', '/token', () => json('{"app_id":', bearer(token)), true],
    ['/token, not an object', '/token', () => json('[1]', bearer(token)), true],
    ['/token, the admin token', '/token', () => json('{"app_id":"pylon"}', bearer(ADMIN)), true],
    ['/token, a signed-out session', '/token', () => json('{"app_id":"pylon"}', bearer(signedOut)), true],
    ['/token, too large', '/token', () => json(`{"app_id":"${'a'.repeat(3000)}"}`, bearer(token)), true],
    [
      '/token, two Content-Type lines',
      '/token',
      () => ({
        ...json('{"app_id":"pylon"}', bearer(token)),
        headers: { ...bearer(token), 'content-type': ['application/json', 'application/json'] },
      }),
      false,
    ],
    [
      '/token, a Content-Type with parameters',
      '/token',
      () => ({
        ...json('{"app_id":"nope"}', bearer(token)),
        headers: { ...bearer(token), 'content-type': 'Application/JSON; charset=utf-8' },
      }),
      true,
    ],
    [
      '/token, text/plain',
      '/token',
      () => ({
        ...json('{"app_id":"pylon"}', bearer(token)),
        headers: { ...bearer(token), 'content-type': 'text/plain' },
      }),
      false,
    ],
    ['/o/default/whoami, a live session', '/o/default/whoami', () => ({ headers: bearer(token) }), true],
    ['/o/nope/whoami, no such org', '/o/nope/whoami', () => ({ headers: bearer(token) }), true],
    [
      '/o/nope/token, no such org before a bad body',
      '/o/nope/token',
      () => json('{"app_id":', bearer(token)),
      true,
    ],
    [
      '/o/default/token, an unknown app',
      '/o/default/token',
      () => json('{"app_id":"nope"}', bearer(token)),
      true,
    ],
    [
      '/o/default/token, the admin token',
      '/o/default/token',
      () => json('{"app_id":"pylon"}', bearer(ADMIN)),
      true,
    ],
    // No credential (an Authorization header that is not a bearer token): 401 before the body.
    ['/whoami, not a bearer', '/whoami', () => ({ headers: { authorization: 'Basic dXNlcjpwdw==' } }), true],
    ['/token, not a bearer', '/token', () => json('{}', { authorization: 'Basic dXNlcjpwdw==' }), true],
    [
      '/token, a malformed bearer and a body that is not JSON',
      '/token',
      () => json('{"app_id":', { authorization: 'Bearer !!' }),
      true,
    ],
    ['/token, no credential at all', '/token', () => json('{}', {}), false],
    [
      '/o/default/token, a malformed bearer',
      '/o/default/token',
      () => json('{}', { authorization: 'Bearer !!' }),
      true,
    ],
    [
      '/o/nope/token, no such org before no credential',
      '/o/nope/token',
      () => json('{}', { authorization: 'Bearer !!' }),
      true,
    ],
    ['/me, not a bearer', '/api/auth/me', () => ({ headers: { authorization: 'Basic dXNlcjpwdw==' } }), true],
    ['/o/{encoded}/whoami', '/o/de%66ault/whoami', () => ({ headers: bearer(token) }), false],
    ['/o//whoami', '/o//whoami', () => ({ headers: bearer(token) }), false],
    ['/o/default/me, not an RBAC route', '/o/default/me', () => ({ headers: bearer(token) }), false],
    ['a PylonError with headers', '/api/auth/direct-probe/limited', () => ({ headers: bearer(token) }), true],
    ['an unexpected error', '/api/auth/direct-probe/crash', () => ({ headers: bearer(token) }), true],
    [
      'a PylonError thrown before any promise',
      '/api/auth/direct-probe/limited-at-once',
      () => ({ headers: bearer(token) }),
      true,
    ],
  ];

  it.each(cases)('%s', async (_what, path, init, taken) => {
    const request = init();
    const headers = { ...request.headers, 'x-request-id': 'parity-check' };
    const before = answered;
    const fromLane = await send(lane.url, path, { ...request, headers });
    expect(answered - before).toBe(taken ? 1 : 0);
    const fromFull = await send(full.url, path, { ...request, headers });
    expect(fromLane).toEqual(fromFull);
    expect(fromLane.headers).toContain('x-request-id: parity-check');
  });

  it.each(['/token', '/o/default/token'])(
    'mints the same scoped token (but for its jti) with the same headers at %s',
    async (path) => {
      const request = json('{"app_id":"pylon"}', { ...bearer(token), 'x-request-id': 'parity-token' });
      const before = answered;
      const fromLane = await send(lane.url, path, request);
      expect(answered - before).toBe(1);
      const fromFull = await send(full.url, path, request);
      expect(fromLane.status).toBe(200);
      expect(fromLane.headers).toEqual(fromFull.headers);
      expect(withoutJTI(fromLane.body)).toEqual(withoutJTI(fromFull.body));
    },
  );

  it('answers /me and /whoami from memory before it returns on SQLite (no promise), later on PostgreSQL', async () => {
    const ended = async (path: string, id: string, credential = token) => {
      const answer = await send(lane.url, path, { headers: { ...bearer(credential), 'x-request-id': id } });
      expect(answer.status).toBe(200);
      return endedBeforeReturn.get(id);
    };
    // The first of each may compute the standing or capabilities (a cache miss waits for reads).
    await ended('/api/auth/me', 'me-warm');
    await ended('/whoami', 'whoami-warm');
    const atOnce = database.kind === 'sqlite';
    expect(await ended('/api/auth/me', 'me-again')).toBe(atOnce);
    expect(await ended('/whoami', 'whoami-again')).toBe(atOnce);
    expect(await ended('/api/auth/me', 'unknown', unknownSession)).toBe(atOnce);
    // The admin token needs no read at all, on either database.
    expect(await ended('/api/auth/me', 'admin', ADMIN)).toBe(true);
    // A body is always waited for.
    await send(lane.url, '/token', json('{"app_id":"pylon"}', { ...bearer(token), 'x-request-id': 'token' }));
    expect(endedBeforeReturn.get('token')).toBe(false);
  });

  it('gives ids from the same sequence as the full pipeline, never one twice', async () => {
    const ids = new Set<string>();
    for (const base of [lane.url, full.url, lane.url, full.url]) {
      const answer = await send(base, '/api/auth/me', { headers: bearer(token) });
      const line = answer.headers.find((header) => header.startsWith('x-request-id: '))!;
      ids.add(line.slice('x-request-id: '.length));
    }
    expect(ids.size).toBe(4);
  });

  it('counts its requests in the metrics and logs them as the full pipeline does', async () => {
    const scrape = async (route = '/api/auth/me') => {
      const text = await (await t.request('/metrics')).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`pylon_http_requests_total{method="GET",route="${route}",status="200"}`));
      return Number(line?.split(' ').pop() ?? 0);
    };
    const inOrg = await scrape('/o/:orgId/whoami');
    await send(lane.url, '/o/default/whoami', { headers: bearer(token) });
    await send(full.url, '/o/default/whoami', { headers: bearer(token) });
    expect(await scrape('/o/:orgId/whoami')).toBe(inOrg + 2);
    const before = await scrape();
    logged.length = 0;
    await send(lane.url, '/api/auth/me', { headers: { ...bearer(token), 'x-request-id': 'logged-lane' } });
    await send(full.url, '/api/auth/me', { headers: { ...bearer(token), 'x-request-id': 'logged-full' } });
    expect(await scrape()).toBe(before + 2);
    const line = (id: string) => {
      const found = logged.find((entry) => entry.requestId === id && entry.msg === 'request');
      expect(found).toBeDefined();
      const { time: _time, pid: _pid, hostname: _hostname, requestId: _id, ms, ...rest } = found!;
      expect(typeof ms).toBe('number');
      return rest;
    };
    expect(line('logged-lane')).toEqual(line('logged-full'));
    expect(line('logged-lane')).toMatchObject({ method: 'GET', path: '/api/auth/me', status: 200 });
  });

  it('logs a client that hangs up mid-body as 499 (no error, no stack), counted alike both ways', async () => {
    const count = async () => {
      const text = await (await t.request('/metrics')).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('pylon_http_requests_total{method="POST",route="/token",status="499"}'));
      return Number(line?.split(' ').pop() ?? 0);
    };
    const before = await count();
    logged.length = 0;
    const taken = answered;
    for (const [base, id] of [
      [lane.url, 'dropped-lane'],
      [full.url, 'dropped-full'],
    ] as const) {
      // Headers and half of a declared 40-byte body, then the connection closes.
      const { port, hostname } = new URL(base);
      const socket = connect(Number(port), hostname);
      socket.on('error', () => {});
      socket.write(
        `POST /token HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${token}\r\n` +
          `content-type: application/json\r\ncontent-length: 40\r\nx-request-id: ${id}\r\n\r\n{"app_id":"py`,
        () => socket.destroy(),
      );
      const line = await until(
        () => logged.find((entry) => entry.requestId === id && entry.msg === 'request'),
        (found) => found !== undefined,
      );
      expect(line).toMatchObject({ method: 'POST', path: '/token', status: 499 });
    }
    expect(answered - taken).toBe(1);
    expect(logged.filter((entry) => Number(entry.level) >= 50)).toEqual([]);
    expect(await count()).toBe(before + 2);
  });

  it('logs an unexpected error with its request id, as the full pipeline does', async () => {
    logged.length = 0;
    await send(lane.url, '/api/auth/direct-probe/crash', {
      headers: { ...bearer(token), 'x-request-id': 'crash-lane' },
    });
    const entry = logged.find((e) => e.requestId === 'crash-lane' && e.msg === 'unhandled error');
    expect(entry).toBeDefined();
    expect(JSON.stringify(entry)).toContain('boom');
  });
});

describe.each(testDatabases)('the direct lane steps aside ($kind)', (database) => {
  it('for a request at an org host, which the full pipeline routes to that org', async () => {
    const t = await startTestServer(database, { env: { PYLON_ORG_HOSTS: 'acme=acme.example.test' } });
    try {
      let answered = 0;
      const direct = t.server.direct!;
      const lane = await listen(t.server.fetch, 0, '127.0.0.1', (request, response) => {
        const took = direct(request, response);
        if (took) answered++;
        return took;
      });
      try {
        const body = '{"app_id":"pylon"}';
        const headers = {
          'content-type': 'application/json',
          authorization: `Bearer pylon_${'1'.repeat(64)}`,
        };
        const atHost = await send(lane.url, '/token', {
          method: 'POST',
          headers: { ...headers, host: 'acme.example.test' },
          body,
        });
        expect(answered).toBe(0);
        // No such org yet: the org host's answer, which the direct lane could not have given.
        expect(atHost.status).toBe(404);
        expect(JSON.parse(atHost.body)).toMatchObject({ error: 'org_not_found' });
        const elsewhere = await send(lane.url, '/token', { method: 'POST', headers, body });
        expect(answered).toBe(1);
        expect(JSON.parse(elsewhere.body)).toMatchObject({ error: 'no_session' });
      } finally {
        await lane.close(0);
      }
    } finally {
      await t.close();
    }
  });

  it("logs a fault outside the route's steps instead of leaving it unhandled", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    // The access log's level check runs after the answer is written; make it fail once.
    const isLevelEnabled = logger.isLevelEnabled.bind(logger);
    let failures = 1;
    logger.isLevelEnabled = (level: string) => {
      if (failures-- > 0) throw new Error('the log broke');
      return isLevelEnabled(level);
    };
    const t = await startTestServer(database, { logger });
    try {
      const lane = await listen(t.server.fetch, 0, '127.0.0.1', t.server.direct);
      try {
        const answer = await send(lane.url, '/api/auth/me', { headers: { authorization: 'Bearer x' } });
        expect(answer.status).toBe(200);
        await t.server.idle();
        await expect.poll(() => lines.find((line) => line.msg === 'direct lane failed')).toBeDefined();
        const again = await send(lane.url, '/api/auth/me', { headers: { authorization: 'Bearer x' } });
        expect(JSON.parse(again.body)).toMatchObject({ authMethod: 'anonymous' });
      } finally {
        await lane.close(0);
      }
    } finally {
      await t.close();
    }
  });

  it('is off when a feature runs middleware of its own', async () => {
    const t = await startTestServer(database, {
      features: () => [{ middleware: [async (_c, next) => next()] }],
    });
    try {
      expect(t.server.direct).toBeNull();
    } finally {
      await t.close();
    }
  });
});
