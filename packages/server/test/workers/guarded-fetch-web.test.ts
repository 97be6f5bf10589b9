import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuardedFetchError, guardedGet } from '../../src/platform/guarded-fetch-web.js';

/** The Workers variant of the SSRF-guarded GET (platform/guarded-fetch-web.ts), on Node's fetch. */
describe('guarded GET on Workers', () => {
  let server: Server;
  let base: string;
  const options = { allowLoopback: true, maxBytes: 64, timeoutMs: 2_000 };

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/doc')
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      else if (request.url === '/moved') response.writeHead(302, { location: '/doc' }).end();
      else if (request.url === '/big') response.writeHead(200).end('x'.repeat(1000));
      else if (request.url === '/stream') {
        response.writeHead(200);
        for (let i = 0; i < 10; i++) response.write('y'.repeat(10));
        response.end();
      } else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches a small document', async () => {
    const answer = await guardedGet(new URL('/doc', base), options);
    expect(answer).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect(answer.headers['content-type']).toBe('application/json');
  });

  it('does not follow a redirect', async () => {
    expect((await guardedGet(new URL('/moved', base), options)).status).toBe(302);
  });

  it('refuses a body over the cap, declared or streamed', async () => {
    await expect(guardedGet(new URL('/big', base), options)).rejects.toThrow(GuardedFetchError);
    await expect(guardedGet(new URL('/stream', base), options)).rejects.toThrow(/larger than 64 bytes/);
  });

  it('refuses non-public literal addresses, plain http beyond loopback, and other schemes', async () => {
    const production = { ...options, allowLoopback: false };
    for (const url of [
      'https://10.0.0.1/doc',
      'https://169.254.169.254/latest',
      'https://[::1]/doc',
      'https://[::ffff:192.168.0.1]/doc',
      `${base}/doc`,
      'http://example.com/doc',
      'ftp://example.com/doc',
    ]) {
      await expect(guardedGet(new URL(url), production), url).rejects.toThrow(GuardedFetchError);
    }
    await expect(guardedGet(new URL('http://example.com/doc'), options)).rejects.toThrow(/loopback host/);
  });
});
