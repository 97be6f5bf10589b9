import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN } from '../../../packages/server/test/oauth-server/support.js';
import { type BrowserTarget, describeInChromium, startBrowserTarget } from './support.js';

interface Fetched {
  ok: boolean;
  status?: number;
  body?: Record<string, unknown>;
  challenge?: string | null;
  error?: string;
}

// A browser-based MCP client runs on its own origin and reaches Pylon's authorization server with
// fetch: discovery, dynamic registration, the token endpoint. Chromium enforces CORS, so this is
// the test that the answers are readable there — and that the rest of Pylon stays unreadable.
describeInChromium('the OAuth endpoints from another origin in Chromium', () => {
  let target: BrowserTarget;
  let browser: Browser;
  let url: string;
  let client: Server;
  let page: Page;

  /** fetch() on the client's page, as its script would call it. */
  const fetchFrom = (input: string, init: RequestInit = {}) =>
    page.evaluate(
      async ({ input, init }): Promise<Fetched> => {
        try {
          const response = await fetch(input, init);
          const text = await response.text();
          return {
            ok: true,
            status: response.status,
            body: text === '' ? {} : JSON.parse(text),
            challenge: response.headers.get('www-authenticate'),
          };
        } catch (error) {
          return { ok: false, error: String(error) };
        }
      },
      { input, init },
    );

  beforeAll(async () => {
    target = await startBrowserTarget({
      env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_OAUTH_DYNAMIC_REGISTRATION: 'true' },
    });
    ({ url, browser } = target);
    // The client's own origin: another port on loopback.
    client = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>client</title>');
    });
    await new Promise<void>((resolve) => client.listen(0, '127.0.0.1', resolve));
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(client.address() as AddressInfo).port}/`);
  }, 60_000);
  afterAll(async () => {
    await target?.close();
    await new Promise((resolve) => client?.close(resolve));
  });

  it('discovers, registers and is answered by the token endpoint, all readable', async () => {
    const metadata = await fetchFrom(`${url}/.well-known/oauth-authorization-server/o/default`, {
      headers: { 'MCP-Protocol-Version': '2025-06-18' },
    });
    expect(metadata).toMatchObject({ ok: true, status: 200, body: { issuer: `${url}/o/default` } });
    const keys = await fetchFrom(metadata.body!.jwks_uri as string);
    expect(keys.body!.keys).toEqual(expect.any(Array));

    const registered = await fetchFrom(metadata.body!.registration_endpoint as string, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Browser client',
        redirect_uris: ['http://127.0.0.1:9/callback'],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(registered).toMatchObject({ ok: true, status: 201 });

    // A refusal is readable too: the client learns why (RFC 6749 §5.2), not "Failed to fetch".
    const refused = await fetchFrom(metadata.body!.token_endpoint as string, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: 'not-a-code',
        code_verifier: 'v'.repeat(43),
        redirect_uri: 'http://127.0.0.1:9/callback',
        client_id: registered.body!.client_id as string,
      }).toString(),
    });
    expect(refused).toMatchObject({ ok: true, status: 400, body: { error: 'invalid_grant' } });

    // A bearer the userinfo endpoint refuses: its challenge header is exposed (RFC 6750 §3).
    const userinfo = await fetchFrom(metadata.body!.userinfo_endpoint as string, {
      headers: { authorization: 'Bearer not-a-token' },
    });
    expect(userinfo).toMatchObject({ ok: true, status: 401 });
    expect(userinfo.challenge).toContain('Bearer');
  }, 60_000);

  it('the rest of Pylon is not readable from another origin', async () => {
    const me = await fetchFrom(`${url}/api/auth/me`, { headers: { authorization: 'Bearer pylon_x' } });
    expect(me.ok).toBe(false);
    const apps = await fetchFrom(`${url}/apps`);
    expect(apps.ok).toBe(false);
  }, 60_000);
});
