import { prepareSchema } from '@pylon/core';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailSink, type RunningWorker, startMailSink, startWorker } from './support/worker.js';

const ADMIN = 'admin-token-for-the-workers-tests-0123456789';
type Body = Record<string, unknown> & { error?: string; message?: string };

const SOURCE_V1 = `version_tag: "1.0.0"
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
// `reader` removed: destructive, so it waits for approval.
const SOURCE_V2 = `version_tag: "2.0.0"
capabilities:
  - name: notes.read
  - name: notes.write
archetypes:
  - name: editor
    capabilities: [notes.read, notes.write]
`;

/**
 * Pylon as a Cloudflare Worker (the real bundle from scripts/build-worker.mjs) in workerd through
 * miniflare: Durable Object SQLite as the database, KV for the key set, mail over HTTP to a
 * loopback webhook. Everything is driven over HTTP, as a client on the internet would.
 */
describe('Pylon on Cloudflare Workers (miniflare)', () => {
  let worker: RunningWorker;
  let mail: MailSink;
  let n = 0;

  const call = async (
    method: string,
    path: string,
    options: { token?: string; appToken?: string; body?: unknown; raw?: string; cookie?: string } = {},
  ) => {
    const response = await worker.request(path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.appToken ? { 'x-pylon-app-token': options.appToken } : {}),
        ...(options.cookie ? { cookie: options.cookie, origin: worker.url } : {}),
      },
      ...(options.raw !== undefined
        ? { body: options.raw }
        : options.body === undefined
          ? {}
          : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    let body: Body;
    try {
      body = JSON.parse(text) as Body;
    } catch {
      body = { text };
    }
    return { status: response.status, headers: response.headers, body };
  };

  const signIn = async (email = `person-${++n}@example.com`) => {
    const sent = await call('POST', '/api/auth/magic/send', { body: { email } });
    expect(sent.status).toBe(200);
    const verified = await call('POST', '/api/auth/magic/verify', {
      body: { email, code: sent.body.dev_code },
    });
    expect(verified.status).toBe(200);
    return { email, token: verified.body.token as string, userId: verified.body.user_id as string, verified };
  };

  beforeAll(async () => {
    mail = await startMailSink();
    worker = await startWorker({
      PYLON_ADMIN_TOKEN: ADMIN,
      PYLON_EMAIL_PROVIDER: 'webhook',
      PYLON_EMAIL_ENDPOINT: mail.url,
      PYLON_EMAIL_FROM: 'Pylon <pylon@example.com>',
    });
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await mail?.close();
  });

  it('boots, migrates its Durable Object SQLite and answers health and discovery', async () => {
    const health = await call('GET', '/health');
    expect([health.status, health.body.status]).toEqual([200, 'ok']);
    expect(worker.logs.some((line) => line.includes('migration 0001-platform applied'))).toBe(true);
    const discovered = await call('GET', '/discover');
    expect(discovered.status).toBe(200);
    expect(discovered.body).toMatchObject({ id: 'default', api_url: `${worker.url}/o/default` });
  });

  it('signs in with a magic code mailed over HTTP; a wrong or replayed code is refused', async () => {
    const email = `magic-${++n}@example.com`;
    const sent = await call('POST', '/api/auth/magic/send', { body: { email } });
    expect(sent.status).toBe(200);
    const message = await mail.next(email);
    expect(message.text).toContain(sent.body.dev_code as string);

    const wrong = await call('POST', '/api/auth/magic/verify', {
      body: { email, code: sent.body.dev_code === '000000' ? '111111' : '000000' },
    });
    expect([wrong.status, (wrong.body.error as unknown as Body)?.code]).toEqual([401, 'INVALID_CODE']);
    const verified = await call('POST', '/api/auth/magic/verify', {
      body: { email, code: sent.body.dev_code },
    });
    expect(verified.status).toBe(200);
    expect(verified.body.token).toEqual(expect.any(String));
    const replayed = await call('POST', '/api/auth/magic/verify', {
      body: { email, code: sent.body.dev_code },
    });
    expect([replayed.status, (replayed.body.error as unknown as Body)?.code]).toEqual([401, 'INVALID_CODE']);

    const me = await call('GET', '/api/auth/me', { token: verified.body.token as string });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ userId: verified.body.user_id, email, authMethod: 'session' });
    // `/me` answers an unknown caller 200 with userId null (docs/API.md).
    const tampered = await call('GET', '/api/auth/me', { token: `${verified.body.token}x` });
    expect(tampered.body.userId).toBeNull();
  });

  it('sessions: the cookie works as the bearer does, and sign-out ends the session', async () => {
    const alice = await signIn();
    const cookie = (alice.verified.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/=/);
    expect((await call('GET', '/api/auth/me', { cookie })).body.userId).toBe(alice.userId);
    const sessions = await call('GET', '/api/auth/sessions', { token: alice.token });
    expect(sessions.status).toBe(200);
    expect(JSON.stringify(sessions.body)).toContain('"current":true');
    const out = await call('DELETE', '/api/auth/session', { token: alice.token });
    expect(out.body).toEqual({ revoked: true });
    expect((await call('GET', '/api/auth/me', { token: alice.token })).body.userId).toBeNull();
    expect((await call('GET', '/api/auth/me', { cookie })).body.userId).toBeNull();
    const sessions2 = await call('GET', '/api/auth/sessions', { token: alice.token });
    expect(sessions2.status).toBe(401);
  });

  it('orgs: a signed-in person creates an org, owns it, and sees it listed', async () => {
    const owner = await signIn();
    const created = await call('POST', '/api/auth/orgs', {
      token: owner.token,
      body: { name: 'Acme Notes' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const listed = await call('GET', '/api/auth/orgs', { token: owner.token });
    expect(JSON.stringify(listed.body)).toContain(id);
    const taken = await call('POST', '/api/auth/orgs', { token: owner.token, body: { name: 'x', id } });
    expect([taken.status, (taken.body.error as unknown as Body)?.code]).toEqual([409, 'ORG_EXISTS']);
  });

  it('the RBAC flow: device login, app, schema push and approval, grant, /token verified with the key set, audit', async () => {
    const person = await signIn();

    // Device login as pylon-cli does it, approved by the signed-in person.
    const started = await call('POST', '/device/init', {
      body: { client: 'pylon-cli/0.3.1', org_id: 'default' },
    });
    expect(started.status).toBe(200);
    const pending = await call('GET', `/device/poll?device_code=${started.body.device_code}`);
    expect(pending.body).toEqual({ status: 'pending' });
    const approved = await call('POST', '/device/complete', {
      token: person.token,
      body: { user_code: started.body.user_code, approve: true },
    });
    expect(approved.body).toEqual({ status: 'approved', client: 'pylon-cli/0.3.1' });
    // The poll interval is 5 s of real time here.
    await new Promise((resolve) => setTimeout(resolve, 5_100));
    const done = await call('GET', `/device/poll?device_code=${started.body.device_code}`);
    expect(done.body).toMatchObject({ status: 'authorised', session_jwt: expect.stringMatching(/^pylon_/) });
    const cli = done.body.session_jwt as string;
    expect((await call('GET', '/whoami', { token: cli })).body).toMatchObject({ email: person.email });

    // App registration, schema push, a destructive push waiting for approval.
    const registered = await call('POST', '/apps', {
      token: ADMIN,
      body: { name: 'notes', owner: person.email },
    });
    expect(registered.status).toBe(201);
    const appToken = registered.body.app_token as string;
    const pushed = await call('POST', '/apps/notes/schema', {
      appToken,
      raw: prepareSchema(SOURCE_V1, 'notes', { cliVersion: '0.3.1' }),
    });
    expect(pushed.body).toMatchObject({ status: 'accepted', version: 1 });
    const forged = await call('POST', '/apps/notes/schema', {
      appToken: `${appToken}x`,
      raw: prepareSchema(SOURCE_V1, 'notes', { cliVersion: '0.3.1' }),
    });
    expect(forged.body.error).toBe('app_token_invalid');

    const grant = await call('POST', '/roles', {
      token: ADMIN,
      body: { email: person.email, app_id: 'notes', archetype: 'reader' },
    });
    expect(grant.status).toBe(200);

    const destructive = await call('POST', '/apps/notes/schema', {
      appToken,
      raw: prepareSchema(SOURCE_V2, 'notes', { cliVersion: '0.3.1' }),
    });
    expect(destructive.body).toMatchObject({ status: 'pending_approval', version: 2 });
    const notAllowed = await call('POST', '/apps/notes/schema/approve-migration', {
      token: cli,
      body: { version: 2 },
    });
    expect(notAllowed.body.error).toBe('insufficient_capability');

    // A scoped token from the CLI session, verified with the published key set (served from KV).
    const minted = await call('POST', '/token', { token: cli, body: { app_id: 'notes' } });
    expect(minted.status).toBe(200);
    const keySet = await worker.request('/.well-known/jwks.json');
    expect(keySet.headers.get('x-pylon-key-set')).toBe('kv');
    const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', worker.url));
    const issuer = (await call('GET', '/discover')).body.api_url as string;
    const { payload } = await jwtVerify(minted.body.scoped_token as string, jwks, {
      issuer,
      audience: 'notes',
    });
    expect(payload.caps).toEqual(['notes:notes.read']);
    await expect(jwtVerify(`${minted.body.scoped_token}x`, jwks)).rejects.toThrow();

    const approval = await call('POST', '/apps/notes/schema/approve-migration', {
      token: ADMIN,
      body: { version: 2 },
    });
    expect(approval.body).toEqual({ status: 'approved', version: 2, roles_migrated: 1 });
    // The reader grant was revoked with the archetype: not a member of the org either, the person
    // holds nothing in the app and gets no token at all.
    const after = await call('POST', '/token', { token: cli, body: { app_id: 'notes' } });
    expect(after.status).toBe(403);
    expect(after.body.error).toBe('not_a_member');

    const audit = await call('GET', '/audit?app_id=notes', { token: ADMIN });
    expect(audit.status).toBe(200);
    const actions = (audit.body.entries as Body[]).map((entry) => entry.action);
    for (const action of [
      'app.registered',
      'schema.pushed',
      'role.granted',
      'schema.approved',
      'role.revoked',
    ]) {
      expect(actions).toContain(action);
    }
  }, 60_000);

  it("the key set from KV, at the root and under the default org, is the object's answer with the same headers", async () => {
    const headersOf = (response: Response) => {
      const out: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (name !== 'x-request-id' && name !== 'x-pylon-key-set') out[name] = value;
      });
      return out;
    };
    // A query string sends the request to the object (the KV path takes plain GETs only).
    const fromObject = await worker.request('/.well-known/pylon-keys?from=object');
    expect(fromObject.headers.get('x-pylon-key-set')).toBeNull();
    const expected = { headers: headersOf(fromObject), body: await fromObject.text() };
    expect(expected.headers['access-control-allow-origin']).toBe('*');
    expect(expected.headers['x-content-type-options']).toBe('nosniff');
    // pylon-cli and @pylon/sdk fetch the key set under the org's api_url, /o/default here.
    for (const path of [
      '/.well-known/jwks.json',
      '/.well-known/pylon-keys',
      '/o/default/.well-known/pylon-keys',
      '/o/default/.well-known/jwks.json',
    ]) {
      const fromKV = await worker.request(path);
      expect([path, fromKV.status, fromKV.headers.get('x-pylon-key-set')]).toEqual([path, 200, 'kv']);
      expect(fromKV.headers.get('x-request-id')).toEqual(expect.any(String));
      expect({ headers: headersOf(fromKV), body: await fromKV.text() }).toEqual(expected);
    }
    // Another org's key-set path is the object's to answer: only it knows whether the org exists.
    const unknown = await worker.request('/o/no-such-org/.well-known/pylon-keys');
    expect([unknown.status, unknown.headers.get('x-pylon-key-set')]).toEqual([404, null]);
  });

  it('password routes are absent on Workers: a stable 404, never a half-done sign-up', async () => {
    for (const path of [
      '/api/auth/password/register',
      '/api/auth/password/login',
      '/api/auth/password/reset/request',
    ]) {
      const answer = await call('POST', path, {
        body: { email: 'p@example.com', password: 'long enough password' },
      });
      expect([path, answer.status, answer.body.error]).toEqual([
        path,
        404,
        { code: 'NOT_FOUND', message: 'No such route' },
      ]);
    }
    for (const path of ['/signup', '/reset', '/login/password', '/o/default/signup']) {
      const page = await worker.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: worker.url },
        body: 'email=p%40example.com&password=long+enough+password',
      });
      expect([path, page.status]).toEqual([path, 404]);
    }
    const document = await call('GET', '/openapi.json');
    const paths = Object.keys(document.body.paths as object);
    expect(paths.filter((p) => /password|signup|\/reset/.test(p))).toEqual([]);
    expect(paths).toContain('/api/auth/magic/send');
  });

  it('the client address comes from Cloudflare only: a client-sent internal header is dropped', async () => {
    const forged = await worker.request('/health', { headers: { 'x-pylon-client-ip': '203.0.113.9' } });
    expect(forged.status).toBe(200);
    expect(worker.logs.join('\n')).not.toContain('203.0.113.9');
  });

  it('no sign-in code, session or scoped token is written to the log', async () => {
    const someone = await signIn();
    const minted = await call('POST', '/token', { token: someone.token, body: { app_id: 'notes' } });
    const log = worker.logs.join('\n');
    expect(log).not.toContain(someone.token);
    if (typeof minted.body.scoped_token === 'string') expect(log).not.toContain(minted.body.scoped_token);
    for (const message of mail.messages) {
      const code = /\b(\d{6})\b/.exec(message.text)?.[1];
      if (code) expect(log).not.toContain(code);
    }
  });
});
