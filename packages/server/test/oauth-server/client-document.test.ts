import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClientDocumentCache,
  fetchClientDocument,
} from '../../src/features/oauth-server/client-document.js';
import { GuardedFetchError, guardedGet, isAllowedAddress } from '../../src/platform/guarded-fetch.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  ADMIN,
  authorizeRequest,
  decide,
  pkce,
  REDIRECT,
  RESOURCE,
  redirectParams,
  registerApp,
  signInBrowser,
  tokenRequest,
} from './support.js';

/** A client's metadata document, served by a loopback HTTP server the test starts. */
describe('Client ID Metadata Documents', () => {
  let t: TestServer;
  let documents: Server;
  let origin: string;
  let fetches = 0;
  const served = new Map<string, { body: unknown; cacheControl?: string }>();

  beforeAll(async () => {
    documents = createServer((request, response) => {
      fetches += 1;
      const entry = served.get(request.url ?? '');
      if (!entry) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, {
        'content-type': 'application/json',
        ...(entry.cacheControl ? { 'cache-control': entry.cacheControl } : {}),
      });
      response.end(JSON.stringify(entry.body));
    });
    await new Promise<void>((resolve) => documents.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(documents.address() as AddressInfo).port}`;
    t = await startTestServer(testDatabases[0]!, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    await registerApp(t, 'notes', RESOURCE);
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => documents.close(resolve));
  });

  const serve = (path: string, body: (url: string) => unknown, cacheControl?: string) => {
    const url = `${origin}${path}`;
    served.set(path, { body: body(url), ...(cacheControl ? { cacheControl } : {}) });
    return url;
  };

  it('in development, a loopback http document names the client: consent, code and token', async () => {
    const clientId = serve(
      '/clients/editor.json',
      (url) => ({ client_id: url, client_name: 'Loopback Editor', redirect_uris: [REDIRECT] }),
      'max-age=600',
    );
    const person = await signInBrowser(t, 'cimd@example.com');
    const { verifier, challenge } = pkce();
    const params = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 's1',
      resource: RESOURCE,
    };
    const before = fetches;
    const page = await authorizeRequest(t, person.jar, params);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Loopback Editor');
    expect(html).toContain(new URL(origin).host);
    const code = redirectParams(await decide(t, person.jar, html, 'allow')).get('code')!;
    const issued = await tokenRequest(t, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: clientId,
    });
    expect(issued.status).toBe(200);
    expect(issued.body.access_token).toBeTypeOf('string');
    // Cached per its Cache-Control: the page, the form and the token request fetched it once.
    expect(fetches - before).toBe(1);
  });

  it('refuses a document that names another client, asks for a secret, or lists bad redirect URIs', async () => {
    const person = await signInBrowser(t, 'cimd-refused@example.com');
    const cases = [
      serve('/clients/other.json', () => ({
        client_id: 'https://elsewhere.example/c',
        redirect_uris: [REDIRECT],
      })),
      serve('/clients/secret.json', (url) => ({
        client_id: url,
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'client_secret_basic',
      })),
      serve('/clients/bad-redirect.json', (url) => ({
        client_id: url,
        redirect_uris: ['javascript:alert(1)'],
      })),
      `${origin}/clients/missing.json`,
    ];
    for (const clientId of cases) {
      const { challenge } = pkce();
      const page = await authorizeRequest(t, person.jar, {
        response_type: 'code',
        client_id: clientId,
        redirect_uri: REDIRECT,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      expect(page.status).toBe(400);
      expect(page.headers.get('location')).toBeNull();
    }
  });

  it('outside development, the same loopback URL is refused without being fetched', async () => {
    const clientId = serve('/clients/prod.json', (url) => ({ client_id: url, redirect_uris: [REDIRECT] }));
    const production = {
      ...t.server.services,
      config: { ...t.server.services.config, env: 'production' as const },
    };
    const before = fetches;
    const answer = await fetchClientDocument(production, createClientDocumentCache(), clientId);
    expect(answer).toEqual({ kind: 'refused', reason: 'a client id URL must be https' });
    // An https URL at a loopback or private address is refused at the connection, by name or literal.
    for (const url of [
      'https://127.0.0.1:1/c.json',
      'https://localhost:1/c.json',
      'https://10.0.0.1/c.json',
    ]) {
      const refused = await fetchClientDocument(production, createClientDocumentCache(), url);
      expect(refused.kind).toBe('refused');
    }
    expect(fetches).toBe(before);
  });

  it('the SSRF guard refuses non-public addresses unless loopback is allowed, and caps size', async () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:10.0.0.1',
    ]) {
      expect(isAllowedAddress(address, false), address).toBe(false);
    }
    expect(isAllowedAddress('93.184.216.34', false)).toBe(true);
    expect(isAllowedAddress('2606:4700::1111', false)).toBe(true);
    expect(isAllowedAddress('127.0.0.1', true)).toBe(true);
    expect(isAllowedAddress('10.1.2.3', true)).toBe(false);
    await expect(
      guardedGet(new URL(`https://localhost:1/x`), { allowLoopback: false, maxBytes: 100, timeoutMs: 1000 }),
    ).rejects.toBeInstanceOf(GuardedFetchError);
    const big = serve('/clients/big.json', (url) => ({ client_id: url, padding: 'x'.repeat(10_000) }));
    await expect(
      guardedGet(new URL(big), { allowLoopback: true, maxBytes: 5 * 1024, timeoutMs: 5000 }),
    ).rejects.toThrow(/larger than/);
  });
});
