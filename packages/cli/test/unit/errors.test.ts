import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIError } from '../../src/cli-error.js';
import { HTTPClient } from '../../src/net/http-client.js';
import { MAX_SERVER_TEXT, sanitizeText } from '../../src/text.js';
import { run } from '../support/environment.js';
import { type LoopbackServer, sendJSON, startLoopbackServer } from '../support/loopback-server.js';

const ESC = '\u001b';

describe('server text for a terminal', () => {
  it('strips control characters, escape sequences and bidi overrides', () => {
    expect(sanitizeText(`bad${ESC}[31mred${ESC}[0m\r\nline\u0007\u202etxt.exe`)).toBe(
      'bad[31mred[0mlinetxt.exe',
    );
  });

  it(`cuts to ${MAX_SERVER_TEXT} characters, never inside a surrogate pair`, () => {
    const cut = sanitizeText('x'.repeat(2000));
    expect(Array.from(cut)).toHaveLength(MAX_SERVER_TEXT);
    expect(cut.endsWith('…')).toBe(true);
    const emoji = sanitizeText('😀'.repeat(600));
    expect(Array.from(emoji)).toHaveLength(MAX_SERVER_TEXT);
    expect(emoji).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(sanitizeText('short')).toBe('short');
  });
});

describe('HTTP answers and exit codes', () => {
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await startLoopbackServer((request, response) => {
      const url = request.url ?? '';
      if (url.startsWith('/forbidden')) {
        return sendJSON(response, 403, {
          error: 'insufficient_capability',
          message: 'This needs pylon:app.manage',
        });
      }
      if (url.startsWith('/nasty')) {
        return sendJSON(response, 500, { error: 'boom', message: `${ESC}]0;pwned\u0007${'A'.repeat(3000)}` });
      }
      if (url.startsWith('/identity')) {
        return sendJSON(response, 401, { error: { code: 'SESSION_EXPIRED', message: 'Sign in again' } });
      }
      if (url.startsWith('/moved')) {
        response.writeHead(307, { location: 'https://login.gateway.test/' });
        return response.end();
      }
      sendJSON(response, 200, { ok: true });
    });
  });
  afterAll(() => server.close());

  const client = () => new HTTPClient({ fetch: globalThis.fetch, baseURL: server.url, userAgent: 't' });

  async function failure(promise: Promise<unknown>): Promise<CLIError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof CLIError) return error;
      throw error;
    }
    throw new Error('expected a CLIError');
  }

  it('non-2xx exits 6: Pylon returned <status>: <METHOD> <path> → <error>', async () => {
    const error = await failure(
      client().call({ method: 'GET', path: '/forbidden', query: { secret: 'no' } }),
    );
    expect(error.exitCode).toBe(6);
    expect(error.message).toBe(
      'Pylon returned 403: GET /forbidden → insufficient_capability: This needs pylon:app.manage',
    );
    expect(error.message).not.toContain('secret');
  });

  it('refuses a token a header cannot carry with exit 2, never quoting it, and sends nothing', async () => {
    for (const bearer of [
      'pylon_SECRET1\npylon_SECRET2',
      'pyat_SECRET\r\nsecond',
      'pylon_SE CRET',
      'pylon_SECRET€',
      '',
    ]) {
      const error = await failure(client().call({ method: 'GET', path: '/forbidden', bearer }));
      expect(error.exitCode, JSON.stringify(bearer)).toBe(2);
      expect(error.message).toContain('is not one');
      expect(`${error.message} ${error.hint ?? ''}`).not.toContain('SECRET');
    }
    // A token that is one goes out as it is.
    const sent = await failure(
      client().call({ method: 'GET', path: '/forbidden', bearer: 'pylon_abc-._~+/=' }),
    );
    expect(sent.exitCode).toBe(6);
  });

  it('the identity surface’s nested error shape is read too', async () => {
    const error = await failure(client().call({ method: 'DELETE', path: '/identity' }));
    expect(error.message).toBe('Pylon returned 401: DELETE /identity → SESSION_EXPIRED: Sign in again');
  });

  it('server messages lose control characters and are cut to 512 characters', async () => {
    const error = await failure(client().call({ method: 'GET', path: '/nasty' }));
    expect(error.message).not.toContain(ESC);
    expect(error.message).not.toContain('\u0007');
    const serverPart = error.message.split(' → ')[1]!;
    expect(Array.from(serverPart)).toHaveLength(512);
  });

  it('a redirect is never followed: a gateway intercepted the request', async () => {
    const error = await failure(client().call({ method: 'GET', path: '/moved' }));
    expect(error.exitCode).toBe(6);
    expect(error.message).toMatch(
      /^a gateway intercepted the request: GET \/moved was answered with a 307 redirect/,
    );
  });

  it('runCLI prints `error: <message>` on stderr and exits with the code', async () => {
    const result = await run(['app', 'list', '--org-url', `${server.url}/forbidden-org`], {
      env: { PYLON_SESSION_TOKEN: 'pylon_test' },
    });
    // /forbidden-org/discover answers 403: discovery failed.
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /^error: discovery at http:\/\/127\.0\.0\.1:\d+\/forbidden-org failed: Pylon returned 403/,
    );
    expect(result.stdout).toBe('');
  });
});

describe('usage errors exit 2', () => {
  it.each([
    [['no-such-command']],
    [['app', 'register', '--name', 'x']],
    [['role', 'revoke', '--app', 'x']],
    [['audit', 'tail', '--limit', '0']],
    [['schema', 'approve', '--app', 'x', '--version', 'one']],
    [['app', 'list', '--org-url', 'http://pylon.example.com']],
  ])('pylon %j', async (argv) => {
    const result = await run(argv, { env: { PYLON_SESSION_TOKEN: 'pylon_x' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error: /);
  });

  it('--help and --version exit 0 on stdout', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: pylon');
    const version = await run(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
