import { readFileSync } from 'node:fs';
import { createServer as createHTTPServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type OAuthClientProvider, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { prepareSchema } from '@pylon/core';
import { pylonClient, pylonSchemaClient, type VerifyFailureReason } from '@pylon/sdk';
import { expect } from 'vitest';
import { loadNotesConfig } from '../../examples/mcp-notes/src/config.js';
import {
  createNotesHTTPApp,
  createNotesStore,
  SCHEMA_PREPARED,
  SCHEMA_SOURCE,
} from '../../examples/mcp-notes/src/index.js';
import { testDatabases } from '../../packages/server/test/support/databases.js';
import { listenAhead } from '../../packages/server/test/support/listen-ahead.js';
import { startTestServer, type TestServer } from '../../packages/server/test/support/server.js';

// Shared by the MCP OAuth end-to-end tests (mcp-oauth.test.ts, mcp-oauth-conformance.test.ts).

export const ADMIN = 'admin-token-for-the-mcp-oauth-e2e-0123456789';

/** A loopback port free now, for a URL nothing listens on (a callback caught before it is fetched). */
export async function freePort(): Promise<number> {
  const probe = createHTTPServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export type ToolResult = { content: Array<{ type: string; text: string }>; isError?: boolean };
export const parsed = (result: unknown) =>
  JSON.parse((result as ToolResult).content[0]!.text) as Record<string, unknown>;

/**
 * A browser reduced to what the hosted pages need, over plain HTTP: a cookie jar, redirects
 * followed by hand (so the one to the client's loopback callback is caught, not fetched), and
 * forms read from the HTML and posted back with the page's Origin.
 */
export function httpBrowser(origin: string) {
  const jar = new Map<string, string>();
  const remember = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  };
  const cookie = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  async function request(url: string, init: { method?: string; form?: Record<string, string> } = {}) {
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: {
        ...(new URL(url).origin === origin && jar.size > 0 ? { cookie: cookie() } : {}),
        ...(init.form
          ? { 'content-type': 'application/x-www-form-urlencoded', origin, referer: `${origin}/` }
          : {}),
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    remember(response);
    return response;
  }
  /** GETs `url` and follows same-origin redirects; stops at the first page or off-origin redirect. */
  async function visit(url: string): Promise<{ url: string; response: Response }> {
    let current = url;
    for (let hops = 0; hops < 10; hops += 1) {
      const response = await request(current);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status > 399 || location === null)
        return { url: current, response };
      const next = new URL(location, current).toString();
      if (new URL(next).origin !== origin) return { url: next, response };
      current = next;
    }
    throw new Error('too many redirects');
  }
  /** The one form of a page whose action ends with `actionPath`: its absolute action and fields. */
  function readForm(page: string, base: string, actionPath: string) {
    for (const match of page.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
      const action = new URL(match[1]!.replaceAll('&amp;', '&'), base).toString();
      if (!new URL(action).pathname.endsWith(actionPath)) continue;
      const fields: Record<string, string> = {};
      for (const input of match[2]!.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
        const name = /name="([^"]*)"/.exec(input[0])?.[1];
        const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
        if (name) fields[name] = decodeEntities(value);
      }
      return { action, fields };
    }
    throw new Error(`no form posting to ${actionPath}`);
  }
  return { request, visit, readForm, jar };
}

function decodeEntities(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/**
 * The official SDK's `OAuthClientProvider`, kept in memory. `redirectToAuthorization` is the
 * person at the browser: it opens the authorization URL, signs in on the hosted page with the
 * emailed code, checks the consent page and presses Allow, then catches the redirect to the
 * loopback callback and keeps the code (checking `state` and RFC 9207 `iss`).
 */
export class PersonAtBrowser implements OAuthClientProvider {
  private stored: OAuthClientInformationMixed | undefined;
  private saved: OAuthTokens | undefined;
  private verifier = '';
  private lastState = '';
  code: string | undefined;
  consentPage = '';
  readonly callback: string;
  readonly browser: ReturnType<typeof httpBrowser>;

  constructor(
    private readonly options: {
      pylon: TestServer;
      origin: string;
      issuer: string;
      email: string;
      callback: string;
      /** CIMD: the client id is this URL, known in advance; else the client registers (DCR). */
      clientIdURL?: string;
    },
  ) {
    this.callback = options.callback;
    this.browser = httpBrowser(options.origin);
    if (options.clientIdURL) this.stored = { client_id: options.clientIdURL };
  }

  get redirectUrl() {
    return this.callback;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'E2E MCP client (registered)',
      redirect_uris: [this.callback],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() {
    this.lastState = `st-${Math.random().toString(36).slice(2)}`;
    return this.lastState;
  }
  clientInformation() {
    return this.stored;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.stored = information;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }

  async redirectToAuthorization(authorizationURL: URL): Promise<void> {
    const { browser } = this;
    const { origin, email, pylon } = this.options;
    let { url, response } = await browser.visit(authorizationURL.toString());
    if (new URL(url).pathname.endsWith('/login')) {
      // The hosted sign-in page: email, then the emailed code; it sends the browser back.
      const emailForm = browser.readForm(await response.text(), url, '/login/code');
      const sent = await browser.request(emailForm.action, {
        method: 'POST',
        form: { ...emailForm.fields, email },
      });
      const codeForm = browser.readForm(await sent.text(), url, '/login/verify');
      const code = /\n\s+(\d{6})\n/.exec(pylon.mail.at(-1)!.text)![1]!;
      const signedIn = await browser.request(codeForm.action, {
        method: 'POST',
        form: { ...codeForm.fields, email, code },
      });
      expect(signedIn.status).toBe(303);
      ({ url, response } = await browser.visit(
        new URL(signedIn.headers.get('location')!, origin).toString(),
      ));
    }
    if (response.status === 200) {
      this.consentPage = await response.text();
      const consent = browser.readForm(this.consentPage, url, '/oauth/authorize');
      const decided = await browser.request(consent.action, {
        method: 'POST',
        form: { ...consent.fields, decision: 'allow' },
      });
      url = new URL(decided.headers.get('location')!, origin).toString();
    }
    const back = new URL(url);
    expect(`${back.origin}${back.pathname}`).toBe(this.callback);
    expect(back.searchParams.get('state')).toBe(this.lastState);
    expect(back.searchParams.get('iss')).toBe(this.options.issuer);
    this.code = back.searchParams.get('code') ?? undefined;
  }
}

export interface NotesWorld {
  t: TestServer;
  /** Pylon's origin (its PYLON_PUBLIC_URL) and the default org's issuer. */
  origin: string;
  issuer: string;
  /** The example server (app `notes`, editor alice, reader bob) and a second one (app `files`). */
  resource: string;
  filesResource: string;
  /** Every `token.verify.failed` reason either MCP server reported. */
  reasons: VerifyFailureReason[];
  close(): Promise<void>;
}

/**
 * A real Pylon on loopback (development mode, dynamic registration on) and two copies of the
 * example MCP server, each registered as an app with its resource URL: `notes` (alice holds
 * `notes:editor`, bob `notes:reader`) and `files` (alice holds `files:admin`).
 */
export async function startNotesWorld(): Promise<NotesWorld> {
  const [pylon, notes, files] = [await listenAhead(), await listenAhead(), await listenAhead()];
  const origin = `http://127.0.0.1:${pylon.port}`;
  const issuer = `${origin}/o/default`;
  const t = await startTestServer(testDatabases[0]!, {
    env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_PUBLIC_URL: origin, PYLON_OAUTH_DYNAMIC_REGISTRATION: 'true' },
  });
  pylon.serve(t.server.fetch, t.server.direct);
  const admin = async (path: string, body: unknown) => {
    const response = await t.request(`/o/default${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as Record<string, unknown>;
  };

  // The example is configured as its README says; its resource URL is registered on its app.
  const config = loadNotesConfig({ PYLON_ORG_URL: origin, NOTES_PORT: String(notes.port) });
  const resource = config.resource;
  const filesResource = `http://127.0.0.1:${files.port}/mcp`;
  for (const [appId, url] of [
    ['notes', resource],
    ['files', filesResource],
  ] as const) {
    const registered = await admin('/apps', { name: appId, owner: 'owner@example.com', resource: url });
    expect(registered).toMatchObject({ app_id: appId });
    await pylonSchemaClient({ orgUrl: issuer, appId, appToken: registered.app_token as string }).push(
      appId === 'notes'
        ? readFileSync(SCHEMA_PREPARED, 'utf8')
        : prepareSchema(readFileSync(SCHEMA_SOURCE), appId, { cliVersion: '0.1.0' }),
    );
  }
  await admin('/roles', { email: 'alice@example.com', app_id: 'notes', archetype: 'notes:editor' });
  await admin('/roles', { email: 'alice@example.com', app_id: 'files', archetype: 'files:admin' });
  await admin('/roles', { email: 'bob@example.com', app_id: 'notes', archetype: 'notes:reader' });

  const reasons: VerifyFailureReason[] = [];
  const serve = (appId: string, url: string, held: typeof notes) =>
    held.serve(
      createNotesHTTPApp({
        client: pylonClient({
          orgUrl: config.orgUrl,
          appId,
          expectedOrgId: config.orgId,
          resource: url,
          clock: t.clock,
          onEvent: (name, detail) => {
            if (name === 'token.verify.failed') reasons.push(detail.reason);
          },
        }),
        store: createNotesStore(t.clock),
      }).fetch,
    );
  serve('notes', resource, notes);
  serve('files', filesResource, files);
  return {
    t,
    origin,
    issuer,
    resource,
    filesResource,
    reasons,
    async close() {
      await files.close(1000);
      await notes.close(1000);
      await pylon.close(1000);
      await t.close();
    },
  };
}

/**
 * Connects the official client with its OAuth support: the first attempt ends at the redirect
 * (`UnauthorizedError`, the code caught by the provider), then `finishAuth` and a new transport.
 */
export async function connectWithOAuth(resource: string, provider: PersonAtBrowser): Promise<Client> {
  const first = new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider });
  const refused = await new Client({ name: 'e2e-oauth', version: '0.0.0' })
    .connect(first)
    .catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(UnauthorizedError);
  expect(provider.code).toBeDefined();
  await first.finishAuth(provider.code!);
  const client = new Client({ name: 'e2e-oauth', version: '0.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider }));
  return client;
}
