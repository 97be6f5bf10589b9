import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIError } from '../../src/cli-error.js';
import { checkDiscovery, DiscoveryError, discoverOrg } from '../../src/org/discovery.js';
import { freePort, type LoopbackServer, sendJSON, startLoopbackServer } from '../support/loopback-server.js';

const http = { fetch: globalThis.fetch, userAgent: 'pylon-cli/test' };

async function failure(promise: Promise<unknown>): Promise<CLIError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CLIError) return error;
    throw error;
  }
  throw new Error('expected a CLIError');
}

describe('checkDiscovery: server-supplied api_url must be same-origin', () => {
  const reached = 'https://pylon.acme.test';

  it('accepts an api_url on the origin reached', () => {
    expect(
      checkDiscovery({ id: 'acme', name: 'Acme', api_url: 'https://pylon.acme.test/o/acme/' }, reached),
    ).toEqual({
      id: 'acme',
      name: 'Acme',
      api_url: 'https://pylon.acme.test/o/acme',
    });
  });

  it.each([
    [
      'another host',
      { id: 'acme', name: 'A', api_url: 'https://evil.test/o/acme' },
      /not on https:\/\/pylon\.acme\.test/,
    ],
    ['another port', { id: 'acme', name: 'A', api_url: 'https://pylon.acme.test:8443/o/acme' }, /not on/],
    ['a downgrade to http', { id: 'acme', name: 'A', api_url: 'http://pylon.acme.test/o/acme' }, /https/],
    ['no api_url', { id: 'acme', name: 'A' }, /no api_url/],
    ['an id that is not a slug', { id: '../../etc', name: 'A', api_url: reached }, /org id/],
    ['not an object', ['acme'], /not a JSON object/],
  ])('refuses %s', (_name, body, message) => {
    expect(() => checkDiscovery(body, reached)).toThrow(DiscoveryError);
    expect(() => checkDiscovery(body, reached)).toThrow(message);
  });
});

describe('discoverOrg against a loopback server', () => {
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await startLoopbackServer((request, response) => {
      const url = request.url ?? '';
      if (url === '/ok/discover')
        return sendJSON(response, 200, { id: 'acme', name: 'Acme', api_url: `${server.url}/o/acme` });
      if (url === '/redirect/discover') {
        response.writeHead(302, { location: 'https://sso.gateway.test/login' });
        return response.end();
      }
      if (url === '/foreign/discover')
        return sendJSON(response, 200, { id: 'acme', name: 'A', api_url: 'http://127.0.0.2:1/o/acme' });
      if (url === '/html/discover') {
        response.writeHead(200, { 'content-type': 'text/html' });
        return response.end('<html>sign in</html>');
      }
      sendJSON(response, 404, { error: 'org_not_found', message: 'No such org' });
    });
  });
  afterAll(() => server.close());

  it('discovers the org and its api_url', async () => {
    await expect(discoverOrg(`${server.url}/ok`, http)).resolves.toEqual({
      id: 'acme',
      name: 'Acme',
      api_url: `${server.url}/o/acme`,
    });
  });

  it('does not follow a redirect: exit 3 saying a gateway intercepted the request', async () => {
    const error = await failure(discoverOrg(`${server.url}/redirect`, http));
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain('a gateway intercepted the request');
    expect(error.message).toContain('302');
    expect(error.message).toContain('https://sso.gateway.test/login');
  });

  it('exit 3 for an api_url on another origin, a non-2xx answer, a non-JSON page, and no server at all', async () => {
    expect((await failure(discoverOrg(`${server.url}/foreign`, http))).message).toMatch(
      /not on http:\/\/127\.0\.0\.1/,
    );
    const notFound = await failure(discoverOrg(`${server.url}/nothing`, http));
    expect(notFound.exitCode).toBe(3);
    expect(notFound.message).toContain('Pylon returned 404: GET /discover → org_not_found: No such org');
    expect((await failure(discoverOrg(`${server.url}/html`, http))).exitCode).toBe(3);
    const closed = await failure(discoverOrg(`http://127.0.0.1:${await freePort()}`, http));
    expect(closed.exitCode).toBe(3);
    expect(closed.message).toMatch(/cannot reach/);
  });

  it('exit 2 for a URL that breaks the https rule, before any request', async () => {
    expect((await failure(discoverOrg('http://pylon.example.com', http))).exitCode).toBe(2);
  });
});
