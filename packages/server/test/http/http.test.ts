import { Writable } from 'node:stream';
import { PylonError } from '@pylon/core';
import { Validator } from '@seriousme/openapi-schema-validator';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OrgStore } from '../../src/features/orgs/org-store.js';
import { defineRoute } from '../../src/http/route-table.js';
import { createServer, type Feature } from '../../src/server.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** Routes that exist only in this test, to drive the boundary and the validators. */
const probe: Feature = {
  authRoutes: [
    defineRoute({
      method: 'post',
      path: '/probe/echo',
      summary: 'echo',
      body: z.object({ name: z.string().min(1) }),
      responses: { 200: { description: 'echo' } },
      handler: (c, { body }) => c.json({ hello: body.name }),
    }),
    defineRoute({
      method: 'get',
      path: '/probe/boom',
      summary: 'throws',
      responses: { 500: { description: 'always' } },
      handler: () => {
        throw new Error('database password is hunter2 at /srv/secret/path');
      },
    }),
    defineRoute({
      method: 'get',
      path: '/probe/limited',
      summary: 'rate limited',
      responses: { 429: { description: 'always' } },
      handler: () => {
        throw new PylonError('RATE_LIMITED', {
          message: 'Slow down',
          hint: 'try again in 60 s',
          headers: { 'Retry-After': '60' },
        });
      },
    }),
  ],
  rbacRoutes: [
    defineRoute({
      method: 'get',
      path: '/probe/org',
      summary: 'which org',
      query: z.object({ n: z.coerce.number().int().positive().optional() }),
      responses: { 200: { description: 'org' } },
      handler: (c, { query }) => c.json({ org: c.get('orgId'), n: query.n ?? null }),
    }),
    defineRoute({
      method: 'get',
      path: '/probe/boom',
      summary: 'throws',
      responses: { 500: { description: 'always' } },
      handler: () => {
        throw new TypeError('undefined is not a function');
      },
    }),
  ],
};

describe.each(testDatabases)('HTTP core on $kind', (database) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(database, { features: () => [probe] });
  });
  afterAll(() => t.close());

  it('/health and /ready answer 200 at the root and under an org base', async () => {
    for (const path of ['/health', '/ready', '/o/default/health', '/o/default/ready']) {
      const response = await t.request(path);
      expect(response.status, path).toBe(200);
    }
    expect(await (await t.request('/ready')).json()).toEqual({
      status: 'ready',
      database: 'ok',
      migrations: 'ok',
      signing_key: 'ok',
    });
  });

  it('an unexpected throw is a 500 naming only the request id', async () => {
    const response = await t.request('/api/auth/probe/boom');
    expect(response.status).toBe(500);
    const id = response.headers.get('x-request-id');
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: 'INTERNAL_ERROR', message: `Internal error (request id ${id})` },
    });
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('/srv');
    expect(text).not.toMatch(/at .*\.ts/);
  });

  it('the RBAC surface renders errors flat and snake_case', async () => {
    const response = await t.request('/probe/boom');
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('server_error');
    expect(body.message).toContain(response.headers.get('x-request-id')!);
    expect(await (await t.request('/nope')).json()).toEqual({ error: 'not_found', message: 'No such route' });
  });

  it('a path asked with a method none of its routes takes is 405 with Allow, on both surfaces', async () => {
    const ask = async (method: string, path: string, headers: Record<string, string> = {}) => {
      const response = await t.request(path, { method, headers });
      const text = await response.text();
      return { status: response.status, allow: response.headers.get('allow'), text };
    };
    // RFC 9110 §15.5.6: Allow lists the path's methods (HEAD wherever GET is).
    for (const [method, path, allow] of [
      ['PUT', '/roles', 'GET, HEAD, POST'],
      ['PATCH', '/whoami', 'GET, HEAD'],
      ['GET', '/token', 'POST'],
      ['GET', '/o/default/token', 'POST'],
      ['DELETE', '/apps', 'GET, HEAD, POST'],
      ['GET', '/apps/notes/token/rotate', 'POST'],
      ['OPTIONS', '/token', 'POST'],
      ['DELETE', '/oauth/token', 'POST, OPTIONS'],
    ] as const) {
      const answer = await ask(method, path);
      expect([answer.status, answer.allow], `${method} ${path}`).toEqual([405, allow]);
      expect(JSON.parse(answer.text)).toEqual({
        error: 'method_not_allowed',
        message: `This path takes ${allow}`,
      });
    }
    for (const [method, path, allow] of [
      ['DELETE', '/api/auth/me', 'GET, HEAD'],
      ['GET', '/api/auth/sessions/ses_1', 'DELETE'],
      ['PUT', '/api/auth/session', 'GET, HEAD, POST, DELETE'],
    ] as const) {
      const answer = await ask(method, path);
      expect([answer.status, answer.allow], `${method} ${path}`).toEqual([405, allow]);
      expect(JSON.parse(answer.text)).toEqual({
        error: { code: 'METHOD_NOT_ALLOWED', message: `This path takes ${allow}` },
      });
    }
    // HEAD is answered from GET; on a path without GET it is 405 too, with no body.
    expect((await ask('HEAD', '/whoami')).status).toBe(401);
    expect(await ask('HEAD', '/token')).toEqual({ status: 405, allow: 'POST', text: '' });
    // A browser that opens a form's POST target gets the page it would get for no route, as a 405.
    const page = await ask('GET', '/login/code', { accept: 'text/html' });
    expect([page.status, page.allow]).toEqual([405, 'POST']);
    expect(page.text).toContain('There is no page at this address');
    // Preflights still answer; paths no route has, and unknown orgs, stay 404.
    const preflight = await t.request('/.well-known/pylon-keys', { method: 'OPTIONS' });
    expect([preflight.status, preflight.headers.get('access-control-allow-methods')]).toEqual([
      204,
      'GET, OPTIONS',
    ]);
    for (const [method, path, code] of [
      ['PUT', '/nope', 'not_found'],
      ['GET', '/token/extra', 'not_found'],
      ['GET', '/o/nope/token', 'org_not_found'],
    ] as const) {
      const answer = await ask(method, path);
      expect([answer.status, answer.allow, JSON.parse(answer.text).error], `${method} ${path}`).toEqual([
        404,
        null,
        code,
      ]);
    }
    expect((await ask('PUT', '/api/auth/nope')).status).toBe(404);
  });

  it('a PylonError keeps its status, code, hint and headers', async () => {
    const response = await t.request('/api/auth/probe/limited');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('60');
    expect(await response.json()).toEqual({
      error: { code: 'RATE_LIMITED', message: 'Slow down', hint: 'try again in 60 s' },
    });
  });

  it('validates bodies: good, missing field, wrong type, not JSON, wrong media type', async () => {
    const post = (body: string, type = 'application/json') =>
      t.request('/api/auth/probe/echo', { method: 'POST', body, headers: { 'content-type': type } });
    const ok = await post('{"name":"ada"}');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ hello: 'ada' });

    const missing = await post('{}');
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');

    const wrongType = await post('{"name":42}');
    expect(((await wrongType.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('name'),
    });

    const broken = await post('{"name":');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');

    const form = await post('name=ada', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect(((await form.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('validates query strings on the RBAC surface', async () => {
    expect(await (await t.request('/probe/org?n=3')).json()).toEqual({ org: 'default', n: 3 });
    const bad = await t.request('/probe/org?n=-1');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('validation_failed');
  });

  it('refuses bodies over the limit with 413 before parsing', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(t.config.bodyLimitBytes + 1) });
    const response = await t.request('/api/auth/probe/echo', {
      method: 'POST',
      body: big,
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('routes the org base: the default org at the root and under /o/{id}; an unknown org is 404', async () => {
    await new OrgStore(t.storage.db, t.storage.dialect).create(t.storage.db, {
      id: 'acme',
      name: 'Acme',
      now: 1,
    });
    expect(await (await t.request('/o/acme/probe/org')).json()).toEqual({ org: 'acme', n: null });
    expect(await (await t.request('/o/acme/discover')).json()).toEqual({
      id: 'acme',
      name: 'Acme',
      api_url: 'http://localhost:4000/o/acme',
    });
    expect(await (await t.request('/discover')).json()).toEqual({
      id: 'default',
      name: 'Default',
      api_url: 'http://localhost:4000/o/default',
    });
    const unknown = await t.request('/o/ghost/discover');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'org_not_found', message: 'No such org' });
  });

  it('sets a request id (keeping a well-formed incoming one) and security headers', async () => {
    const kept = await t.request('/health', { headers: { 'x-request-id': 'edge-42' } });
    expect(kept.headers.get('x-request-id')).toBe('edge-42');
    const replaced = await t.request('/health', { headers: { 'x-request-id': 'bad id with spaces' } });
    const generated = replaced.headers.get('x-request-id')!;
    expect(generated).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
    const next = (await t.request('/health')).headers.get('x-request-id');
    expect(next).not.toBe(generated);
    expect(next!.split('-')[0]).toBe(generated.split('-')[0]);
    expect(replaced.headers.get('x-content-type-options')).toBe('nosniff');
    expect(replaced.headers.get('x-frame-options')).toBe('DENY');
    expect(replaced.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(replaced.headers.get('cache-control')).toBe('no-store');
    expect(replaced.headers.get('strict-transport-security')).toBeNull();
  });

  it('/openapi.json is a valid OpenAPI 3.1 document listing every route', async () => {
    const document = (await (await t.request('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, object>;
    };
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
    const listed = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    const served = t.server.app.routes
      .filter((r) => r.method !== 'ALL')
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
    expect(new Set(listed)).toEqual(new Set(served));
    expect(listed).toContain('get /o/{orgId}/.well-known/pylon-keys');
    expect(listed).toContain('post /api/auth/probe/echo');
  });

  it('/ready is 503 when the database is unreachable', async () => {
    const other = await startTestServer(database);
    await other.storage.close();
    const response = await other.request('/ready');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'not_ready',
      database: 'unreachable',
      migrations: 'unknown',
      signing_key: 'missing',
    });
    await other.scratch.drop();
  });
});

describe('access log', () => {
  it('one line per request, with path but never query string, headers or body', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const scratch = await testDatabases[0]!.create();
    const storage = await scratch.openMigrated();
    const { loadConfig } = await import('../../src/config/config.js');
    const config = loadConfig({ PYLON_SECRET: '1'.repeat(64), PYLON_ADMIN_TOKEN: 'admin-token-0123456789' });
    const server = createServer(config, { storage, logger: pino({ level: 'info' }, sink) }, [() => probe]);
    await server.prepare();
    const secret = 'pylon_' + 'f'.repeat(64);
    await server.app.request(`/health?device_code=${secret}`, {
      headers: { authorization: `Bearer ${secret}`, cookie: `pylon_session=${secret}` },
    });
    await server.app.request('/api/auth/probe/echo', {
      method: 'POST',
      body: JSON.stringify({ name: secret }),
      headers: { 'content-type': 'application/json', authorization: 'Bearer admin-token-0123456789' },
    });
    const log = lines.join('');
    expect(log).toContain('"path":"/health"');
    expect(log).toContain('"path":"/api/auth/probe/echo"');
    expect(log).not.toContain(secret);
    expect(log).not.toContain('admin-token-0123456789');
    await storage.close();
    await scratch.drop();
  });

  it('below the info level, writes no request line at all; a query-less path gets no query field', async () => {
    const scratch = await testDatabases[0]!.create();
    const storage = await scratch.openMigrated();
    const { loadConfig } = await import('../../src/config/config.js');
    const config = loadConfig({ PYLON_SECRET: '1'.repeat(64), PYLON_ADMIN_TOKEN: 'admin-token-0123456789' });
    const linesAt = async (level: 'info' | 'warn') => {
      const lines: Record<string, unknown>[] = [];
      const sink = new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
          done();
        },
      });
      const server = createServer(config, { storage, logger: pino({ level }, sink) }, [() => probe]);
      await server.prepare();
      // Only the probe feature is mounted: an unknown path is answered (404) and logged all the same.
      expect((await server.app.request('/nowhere')).status).toBe(404);
      expect((await server.app.request('/nowhere?device_code=abc&n=1')).status).toBe(404);
      await server.close();
      return lines.filter((line) => line.msg === 'request');
    };
    expect(await linesAt('warn')).toEqual([]);
    const logged = await linesAt('info');
    expect(logged.map((line) => [line.path, line.query, line.status])).toEqual([
      ['/nowhere', undefined, 404],
      ['/nowhere', '?device_code=[redacted]&n=1', 404],
    ]);
    await storage.close();
    await scratch.drop();
  });
});

describe('request bodies over a real socket', () => {
  it('are read from the Node stream, limited before parsing, declared or chunked', async () => {
    const { listen } = await import('../../src/platform/listen.js');
    const t = await startTestServer(testDatabases[0]!, {
      features: () => [probe],
      env: { PYLON_BODY_LIMIT: '2048' },
    });
    const listening = await listen(t.server.fetch, 0, '127.0.0.1');
    try {
      const post = (body: BodyInit, headers: Record<string, string> = {}) =>
        fetch(`${listening.url}/api/auth/probe/echo`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', ...headers },
          ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
        } as RequestInit);
      const ok = await post(JSON.stringify({ name: 'über' }));
      expect(await ok.json()).toEqual({ hello: 'über' });
      const declared = await post(JSON.stringify({ name: 'x'.repeat(4096) }));
      expect(declared.status).toBe(413);
      expect(((await declared.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
      const chunked = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(512)));
          controller.close();
        },
      });
      const streamed = await post(chunked);
      expect(streamed.status).toBe(413);
      const broken = await post('{"name":');
      expect(((await broken.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    } finally {
      await listening.close(1000);
      await t.close();
    }
  });
});
