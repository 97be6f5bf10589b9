import { createHash, randomBytes } from 'node:crypto';
import { prepareSchema } from '@pylon/core';
import { expect } from 'vitest';
import { CookieJar } from '../support/cookie-jar.js';
import type { TestServer } from '../support/server.js';

export const ADMIN = 'admin-token-for-oauth-server-tests-0123456789';
export const RESOURCE = 'https://notes.example.com/mcp';
export const OTHER_RESOURCE = 'https://calendar.example.com/mcp';
export const REDIRECT = 'http://127.0.0.1:7777/callback';
export const BASE = '/o/default';
export const ISSUER = 'http://localhost:4000/o/default';

const NOTES_SCHEMA = `version_tag: "1"
capabilities:
  - name: notes.read
  - name: notes.write
archetypes:
  - name: reader
    capabilities: [notes.read]
  - name: editor
    capabilities: [notes.write]
    inherits: [reader]
`;

export type Json = Record<string, unknown>;

/** A JSON call, with the admin token unless another bearer is given. */
export async function call(
  t: TestServer,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; appToken?: string; raw?: string } = {},
): Promise<{ status: number; body: Json }> {
  const token = options.token === undefined ? ADMIN : options.token;
  const response = await t.request(path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(options.appToken ? { 'x-pylon-app-token': options.appToken } : {}),
    },
    ...(options.raw !== undefined
      ? { body: options.raw }
      : options.body === undefined
        ? {}
        : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Json) };
}

/** A person signed in by an emailed code, with the browser (cookie jar) that did it. */
export async function signInBrowser(t: TestServer, email: string) {
  t.clock.advance(61_000);
  const jar = new CookieJar();
  const sent = await call(t, 'POST', '/api/auth/magic/send', { body: { email }, token: null });
  const verified = await t.request('/api/auth/magic/verify', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, code: sent.body.dev_code }),
  });
  jar.store(verified);
  const body = (await verified.json()) as Json;
  return { jar, token: body.token as string, userId: body.user_id as string, email };
}

/** An app answering for `resource`, with the notes schema, and `email` granted `archetype`. */
export async function registerApp(t: TestServer, appId: string, resource: string) {
  const created = await call(t, 'POST', '/apps', {
    body: { name: appId, owner: 'owner@example.com', resource },
  });
  expect(created.status).toBe(201);
  const prepared = prepareSchema(NOTES_SCHEMA, appId, { cliVersion: '0.0.0-test' });
  const pushed = await call(t, 'POST', `/apps/${appId}/schema`, {
    appToken: created.body.app_token as string,
    raw: prepared,
    token: null,
  });
  expect(pushed.body.status).toBe('accepted');
}

export async function grant(t: TestServer, email: string, appId: string, archetype: string) {
  expect((await call(t, 'POST', '/roles', { body: { email, app_id: appId, archetype } })).status).toBe(200);
}

export async function registerClient(t: TestServer, body: Json = {}) {
  const created = await call(t, 'POST', `${BASE}/oauth/clients`, {
    body: { client_name: 'Notes desktop', redirect_uris: [REDIRECT], ...body },
  });
  expect(created.status).toBe(201);
  return created.body as { client_id: string; client_secret?: string };
}

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * An authorisation request of a client with PKCE S256 to REDIRECT (`extra` adds or overrides
 * parameters), and the verifier its code is exchanged with.
 */
export function codeRequest(clientId: string, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(6).toString('base64url'),
    ...extra,
  };
  return { params, verifier };
}

/** Exchange a code at the token endpoint as the public client that asked for it. */
export function exchangeCode(
  t: TestServer,
  clientId: string,
  grant: { code: string; verifier: string },
  extra: Record<string, string> = {},
) {
  return tokenRequest(t, {
    grant_type: 'authorization_code',
    code: grant.code,
    code_verifier: grant.verifier,
    redirect_uri: REDIRECT,
    client_id: clientId,
    ...extra,
  });
}

export function decodePayload(jwt: string): Json {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Json;
}

export function decodeHeader(jwt: string): Json {
  return JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as Json;
}

/** GET the authorisation endpoint as a browser (redirects not followed). */
export async function authorizeRequest(t: TestServer, jar: CookieJar, params: Record<string, string>) {
  const response = await t.request(`${BASE}/oauth/authorize?${new URLSearchParams(params)}`, jar.apply());
  jar.store(response);
  return response;
}

/** Post the consent page's form back, as the browser shown it would. */
export async function decide(t: TestServer, jar: CookieJar, page: string, decision: 'allow' | 'deny') {
  const fields = new URLSearchParams();
  for (const match of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields.set(match[1]!, decodeEntities(match[2]!));
  }
  fields.set('decision', decision);
  const response = await t.request(
    `${BASE}/oauth/authorize`,
    jar.apply({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:4000' },
      body: fields.toString(),
    }),
  );
  jar.store(response);
  return response;
}

function decodeEntities(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The query of a redirect answer (303 to the client). */
export function redirectParams(response: Response): URLSearchParams {
  expect(response.status).toBe(303);
  return new URL(response.headers.get('location')!).searchParams;
}

/** Authorise through the consent page (allowing) and return the code. */
export async function codeFor(
  t: TestServer,
  jar: CookieJar,
  params: Record<string, string>,
): Promise<string> {
  const first = await authorizeRequest(t, jar, params);
  const answer = first.status === 200 ? await decide(t, jar, await first.text(), 'allow') : first;
  const query = redirectParams(answer);
  expect(query.get('error')).toBeNull();
  return query.get('code')!;
}

export async function tokenRequest(
  t: TestServer,
  form: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const response = await t.request(`${BASE}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: (await response.json()) as Json, headers: response.headers };
}
