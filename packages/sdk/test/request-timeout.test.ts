import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pylonClient } from '../src/client.js';
import { NoSessionError, PylonRequestError, SchemaPushFailedError } from '../src/errors.js';
import { REQUEST_TIMEOUT_MS } from '../src/request-timeout.js';
import { pylonSchemaClient } from '../src/schema-client.js';

const PREPARED = readFileSync(
  new URL('../../core/test/fixtures/schema-prepare/reference.prepared.json', import.meta.url),
  'utf8',
);
const SESSION = `pylon_${'ab'.repeat(32)}`;

/**
 * Every request the SDK makes to Pylon gives up after REQUEST_TIMEOUT_MS (5 s), as discovery and
 * the key set always did: a Pylon that accepts the connection and never answers must not hang a
 * mint (and, single-flight, every mint after it), a schema push or a read of the current schema.
 * A real loopback server that holds those requests; the real 5 s elapse once, for all of them.
 */
describe('a Pylon that never answers', () => {
  let url: string;
  const seen: string[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const route = `${request.method} ${request.url}`;
    seen.push(route);
    if (route === 'GET /o/example/discover') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: 'example', name: 'Example', api_url: `${url}/o/example` }));
      return;
    }
    // The first mint is held; the next one is answered, to show it is a fresh request.
    if (route === 'POST /o/example/token' && seen.filter((r) => r === route).length > 1) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ scoped_token: 'token-2', ttl: 30, expires_at: Date.now() + 30_000 }));
      return;
    }
    held.push(response);
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('mint, push and current fail with their documented errors after 5 s; a later mint asks again', async () => {
    const client = pylonClient({
      orgUrl: `${url}/o/example`,
      appId: 'example',
      expectedOrgId: 'example',
      sessionToken: SESSION,
      logger: null,
    });
    const schemas = pylonSchemaClient({
      orgUrl: `${url}/o/example`,
      appId: 'example',
      appToken: `pyat_${'x'.repeat(43)}`,
      sessionToken: SESSION,
    });
    const started = Date.now();
    // Two mints share the one held request (single-flight), and fail with it.
    const outcomes = await Promise.allSettled([
      client.mintScopedToken(),
      client.mintScopedToken(),
      schemas.push(PREPARED),
      schemas.current(),
    ]);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(held).toHaveLength(3);
    const [mint, joined, push, current] = outcomes.map((outcome) =>
      outcome.status === 'rejected' ? (outcome.reason as Error) : new Error('resolved'),
    );
    expect(mint).toBeInstanceOf(PylonRequestError);
    expect(joined).toBe(mint);
    expect(push).toBeInstanceOf(SchemaPushFailedError);
    expect(current).toBeInstanceOf(PylonRequestError);
    expect(current).not.toBeInstanceOf(NoSessionError);
    for (const error of [mint, push, current]) {
      expect(error!.message).toContain(`did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`);
    }
    expect([mint, push, current].map((e) => (e as PylonRequestError).code)).toEqual([
      'request_failed',
      'schema_push_failed',
      'request_failed',
    ]);

    // The timed-out mint is not joined again: the next one is a request of its own.
    expect(await client.mintScopedToken()).toBe('token-2');
    expect(seen.filter((route) => route === 'POST /o/example/token')).toHaveLength(2);
  }, 20_000);
});
