import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pylonClient } from '../src/client.js';
import type { VerifyFailureReason } from '../src/events.js';
import { type NodeRequestLike, pylonGuard } from '../src/guard.js';
import type { Actor } from '../src/types.js';
import { fakePylon, manualClock } from './support/fake-pylon.js';
import {
  APP_ID,
  NOW_MS,
  ORG_ID,
  ORG_URL,
  type SigningKey,
  scopedClaims,
  sign,
  signingKey,
} from './support/keys.js';

let key: SigningKey;
let reader: string;
let expired: string;
const reasons: VerifyFailureReason[] = [];

beforeAll(async () => {
  key = await signingKey('k1');
  reader = await sign(key, scopedClaims({ caps: ['notes:notes.read'] }));
  expired = await sign(key, scopedClaims({ exp: NOW_MS / 1000 - 60 }));
});

function client(options: { fetch?: ReturnType<typeof fakePylon>['fetch'] } = {}) {
  return pylonClient({
    orgUrl: ORG_URL,
    appId: APP_ID,
    expectedOrgId: ORG_ID,
    fetch: options.fetch ?? fakePylon([key]).fetch,
    clock: manualClock(NOW_MS),
    onEvent: (name, detail) => {
      if (name === 'token.verify.failed') reasons.push(detail.reason);
    },
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('pylonGuard as Hono middleware', () => {
  function app(options: Parameters<typeof pylonGuard>[1] = {}, pylon = client()) {
    const hono = new Hono<{ Variables: { pylonActor: Actor } }>();
    hono.use('/notes/*', pylonGuard(pylon, options).hono);
    hono.get('/notes/x', (c) => c.json({ sub: c.get('pylonActor').sub }));
    return hono;
  }

  it('passes a valid token and hands the actor on', async () => {
    const response = await app({ requiredCapability: 'notes.read' }).request('/notes/x', {
      headers: bearer(reader),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: 'alice@example.com' });
  });

  it('401 no_session, 401 token_invalid (reason to onEvent only), 403 insufficient_capability', async () => {
    const guarded = app({ requiredCapability: 'notes.delete' });
    const missing = await guarded.request('/notes/x');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="pylon"');
    expect(await missing.json()).toEqual({
      error: 'no_session',
      message: 'A Pylon scoped token is required',
    });

    reasons.length = 0;
    const stale = await guarded.request('/notes/x', { headers: bearer(expired) });
    expect(stale.status).toBe(401);
    const body = await stale.text();
    expect(JSON.parse(body)).toEqual({
      error: 'token_invalid',
      message: 'The Pylon scoped token is not valid',
    });
    expect(body).not.toContain('expired');
    expect(reasons).toEqual(['expired']);

    const denied = await guarded.request('/notes/x', { headers: bearer(reader) });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect((await denied.json()).error).toBe('insufficient_capability');
  });

  it('formatError shapes the body; 503 when no key set could ever be loaded', async () => {
    const down = fakePylon([key]);
    down.state.keySetStatus = 502;
    const guarded = app(
      { formatError: (failure) => ({ oops: failure.code }) },
      client({ fetch: down.fetch }),
    );
    const response = await guarded.request('/notes/x', { headers: bearer(reader) });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ oops: 'key_set_unavailable' });
  });
});

describe('pylonGuard as Node http / Express middleware', () => {
  let url: string;
  const server = createServer((req, res) => {
    const guard = pylonGuard(guarded, { requiredCapability: 'notes.read' });
    guard.node(req, res, (error) => {
      if (error) {
        res.statusCode = 500;
        res.end();
        return;
      }
      const { pylonActor, auth } = req as typeof req & NodeRequestLike;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ sub: pylonActor?.sub, auth }));
    });
  });
  let guarded: ReturnType<typeof client>;

  beforeAll(async () => {
    guarded = client();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sets req.pylonActor and req.auth (the MCP SDK’s AuthInfo) for a valid token', async () => {
    const response = await fetch(url, { headers: bearer(reader) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      sub: 'alice@example.com',
      auth: {
        token: reader,
        clientId: APP_ID,
        scopes: ['notes:notes.read'],
        extra: { sub: 'alice@example.com', org: ORG_ID },
      },
    });
  });

  it('answers 401 and 403 itself, with the same bodies as the Hono form', async () => {
    const missing = await fetch(url);
    expect(missing.status).toBe(401);
    expect((await missing.json()).error).toBe('no_session');
    const invalid = await fetch(url, { headers: bearer(`${reader}x`) });
    expect(invalid.status).toBe(401);
    expect((await invalid.json()).error).toBe('token_invalid');
    const writer = await sign(key, scopedClaims({ caps: ['notes:notes.write'] }));
    const denied = await fetch(url, { headers: bearer(writer) });
    expect(denied.status).toBe(403);
    expect((await denied.json()).error).toBe('insufficient_capability');
  });
});

describe('pylonGuard around MCP tool handlers', () => {
  const handler = async (args: { id: string }, _extra: unknown, actor: Actor) => ({
    content: [{ type: 'text' as const, text: `${actor.sub} read ${args.id}` }],
  });

  it('takes the token from authInfo or the request headers, and refuses as an isError result', async () => {
    const tool = pylonGuard(client(), { requiredCapability: 'notes.read' }).tool(handler);
    expect(await tool({ id: 'n1' }, { authInfo: { token: reader } })).toEqual({
      content: [{ type: 'text', text: 'alice@example.com read n1' }],
    });
    expect(await tool({ id: 'n1' }, { requestInfo: { headers: bearer(reader) } })).toMatchObject({
      content: [{ text: 'alice@example.com read n1' }],
    });
    const refused = await tool({ id: 'n1' }, {});
    expect(refused).toMatchObject({ isError: true });
    expect(JSON.parse((refused as { content: [{ text: string }] }).content[0].text)).toMatchObject({
      error: 'no_session',
    });
    const deleteTool = pylonGuard(client(), { requiredCapability: 'notes.delete' }).tool(handler);
    const denied = await deleteTool({ id: 'n1' }, { authInfo: { token: reader } });
    expect(JSON.parse((denied as { content: [{ text: string }] }).content[0].text).error).toBe(
      'insufficient_capability',
    );
  });

  it('identity "session" mints with the client’s own session (stdio) and ignores request headers', async () => {
    const pylon = fakePylon([key]);
    pylon.state.routes.set(`POST ${ORG_URL}/token`, () =>
      Response.json({ scoped_token: reader, ttl: 30, expires_at: NOW_MS + 30_000 }),
    );
    const withSession = pylonClient({
      orgUrl: ORG_URL,
      appId: APP_ID,
      expectedOrgId: ORG_ID,
      fetch: pylon.fetch,
      clock: manualClock(NOW_MS),
      sessionToken: `pylon_${'cd'.repeat(32)}`,
    });
    const tool = pylonGuard(withSession, { requiredCapability: 'notes.read', identity: 'session' }).tool(
      handler,
    );
    expect(await tool({ id: 'n2' }, {})).toMatchObject({ content: [{ text: 'alice@example.com read n2' }] });

    const noSession = pylonClient({
      orgUrl: ORG_URL,
      appId: APP_ID,
      expectedOrgId: ORG_ID,
      fetch: pylon.fetch,
      clock: manualClock(NOW_MS),
    });
    const anonymous = pylonGuard(noSession, { identity: 'session' }).tool(handler);
    const refused = await anonymous({ id: 'n2' }, { authInfo: { token: reader } });
    expect(JSON.parse((refused as { content: [{ text: string }] }).content[0].text).error).toBe('no_session');
  });

  it('identity "session" tells why there is no session: none set, or Pylon refused it', async () => {
    const pylon = fakePylon([key]);
    pylon.state.routes.set(`POST ${ORG_URL}/token`, () =>
      Response.json({ error: 'no_session', message: 'Session not found' }, { status: 401 }),
    );
    const refusedSession = `pylon_${'ef'.repeat(32)}`;
    const asSession = (sessionToken: string) =>
      pylonGuard(
        pylonClient({
          orgUrl: ORG_URL,
          appId: APP_ID,
          expectedOrgId: ORG_ID,
          fetch: pylon.fetch,
          clock: manualClock(NOW_MS),
          sessionToken,
        }),
        { identity: 'session' },
      ).tool(handler);
    const body = async (result: unknown) =>
      JSON.parse((result as { content: [{ text: string }] }).content[0].text) as unknown;

    const refused = await asSession(refusedSession)({ id: 'n3' }, {});
    expect(await body(refused)).toEqual({
      error: 'no_session',
      message: 'Pylon refused the session (signed out, revoked or expired): sign in again',
    });
    expect(JSON.stringify(refused)).not.toContain(refusedSession);
    expect(await body(await asSession('')({ id: 'n3' }, {}))).toEqual({
      error: 'no_session',
      message: 'No Pylon session: set PYLON_SESSION_TOKEN or pass sessionToken',
    });
  });

  it('rejects a bad requiredCapability option once, at construction', () => {
    expect(() => pylonGuard(client(), { requiredCapability: '' })).toThrow(TypeError);
    // Another app's capability would deny every request: refused here, not at each one.
    expect(() => pylonGuard(client(), { requiredCapability: 'other:notes.read' })).toThrowError(
      expect.objectContaining({ name: 'InvalidArgumentError', code: 'invalid_argument' }),
    );
    expect(() => pylonGuard(client(), { requiredCapability: 'notes:notes.read' })).not.toThrow();
  });
});
