import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  ADMIN,
  BASE,
  call,
  codeFor,
  ISSUER,
  pkce,
  REDIRECT,
  RESOURCE,
  registerApp,
  signInBrowser,
  tokenRequest,
} from './support.js';

describe.each(testDatabases)('metadata, clients and app resources on $kind', (database) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(database, {
      env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_OAUTH_DYNAMIC_REGISTRATION: 'true' },
    });
    await registerApp(t, 'notes', RESOURCE);
  });
  afterAll(() => t.close());

  it('publishes RFC 8414 metadata at the issuer, by path insertion, and as OIDC discovery', async () => {
    const atIssuer = await call(t, 'GET', `${BASE}/.well-known/oauth-authorization-server`, { token: null });
    expect(atIssuer.body).toMatchObject({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/oauth/authorize`,
      token_endpoint: `${ISSUER}/oauth/token`,
      registration_endpoint: `${ISSUER}/oauth/register`,
      revocation_endpoint: `${ISSUER}/oauth/revoke`,
      userinfo_endpoint: `${ISSUER}/oauth/userinfo`,
      jwks_uri: `${ISSUER}/oauth/jwks`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true,
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      id_token_signing_alg_values_supported: ['EdDSA', 'RS256'],
      subject_types_supported: ['public'],
    });
    expect(atIssuer.body.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token']),
    );
    const inserted = await call(t, 'GET', '/.well-known/oauth-authorization-server/o/default', {
      token: null,
    });
    expect(inserted.body).toEqual(atIssuer.body);
    const discovery = await call(t, 'GET', `${BASE}/.well-known/openid-configuration`, { token: null });
    expect(discovery.body).toEqual(atIssuer.body);
    const unknown = await call(t, 'GET', '/.well-known/oauth-authorization-server/o/no-such-org', {
      token: null,
    });
    expect(unknown.status).toBe(404);
    const jwks = await call(t, 'GET', `${BASE}/oauth/jwks`, { token: null });
    expect((jwks.body.keys as Array<{ kty: string; alg: string }>).map((key) => key.alg).sort()).toEqual([
      'EdDSA',
      'RS256',
    ]);
  });

  it('answers a request of the wrong shape in RFC 6749 §5.2’s shape at every OAuth endpoint', async () => {
    const send = async (path: string, type: string, body: string, headers: Record<string, string> = {}) => {
      const response = await t.request(path, {
        method: 'POST',
        headers: { 'content-type': type, ...headers },
        body,
      });
      expect(response.headers.get('cache-control'), path).toBe('no-store');
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    for (const path of ['/oauth/token', `${BASE}/oauth/token`, '/oauth/device_authorization']) {
      const notJSON = await send(path, 'application/json', '{"grant_type":');
      expect(notJSON, path).toEqual({
        status: 400,
        body: { error: 'invalid_request', error_description: 'The body is not valid JSON' },
      });
      const plain = await send(path, 'text/plain', 'grant_type=x');
      expect(plain, path).toEqual({
        status: 415,
        body: {
          error: 'invalid_request',
          error_description: 'Send the body as application/x-www-form-urlencoded or application/json',
        },
      });
      const large = await send(
        path,
        'application/x-www-form-urlencoded',
        `grant_type=${'x'.repeat(2_000_000)}`,
      );
      expect(large.status, path).toBe(413);
      expect(large.body, path).toMatchObject({ error: 'invalid_request' });
      expect(Object.keys(large.body).sort(), path).toEqual(['error', 'error_description']);
    }
    // A route of the Pylon surfaces keeps its own shape (with a credential, so the body is read).
    const rbac = await send('/token', 'text/plain', 'x', { authorization: `Bearer pylon_${'0'.repeat(64)}` });
    expect(rbac.body).toMatchObject({ error: 'unsupported_media_type' });
  });

  it('registers clients for org admins only, checking redirect URIs', async () => {
    const person = await signInBrowser(t, 'member@example.com');
    const body = { client_name: 'Wiki', redirect_uris: ['https://wiki.example.com/cb'] };
    expect((await call(t, 'POST', `${BASE}/oauth/clients`, { body, token: person.token })).body.error).toBe(
      'insufficient_capability',
    );
    for (const uri of [
      'javascript:alert(1)',
      'http://wiki.example.com/cb',
      'https://wiki.example.com/cb#x',
    ]) {
      const refused = await call(t, 'POST', `${BASE}/oauth/clients`, {
        body: { ...body, redirect_uris: [uri] },
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_redirect_uri');
    }
    const created = await call(t, 'POST', `${BASE}/oauth/clients`, { body });
    expect(created.status).toBe(201);
    const listed = await call(t, 'GET', `${BASE}/oauth/clients`);
    expect(listed.body.clients).toContainEqual(
      expect.objectContaining({ client_id: created.body.client_id }),
    );
    expect(JSON.stringify(listed.body)).not.toContain('client_secret');
    const removed = await call(t, 'DELETE', `${BASE}/oauth/clients/${created.body.client_id}`);
    expect(removed.body).toEqual({ client_id: created.body.client_id, deleted: true });
    expect((await call(t, 'DELETE', `${BASE}/oauth/clients/${created.body.client_id}`)).body.error).toBe(
      'client_not_found',
    );
  });

  it('a confidential client must authenticate at the token endpoint (basic or post)', async () => {
    const created = await call(t, 'POST', `${BASE}/oauth/clients`, {
      body: { client_name: 'Backend', redirect_uris: [REDIRECT], confidential: true },
    });
    const { client_id: clientId, client_secret: secret } = created.body as Record<string, string>;
    const person = await signInBrowser(t, 'confidential@example.com');
    const exchange = async (auth: Record<string, string>, headers: Record<string, string> = {}) => {
      const { verifier, challenge } = pkce();
      const code = await codeFor(t, person.jar, {
        response_type: 'code',
        client_id: clientId!,
        redirect_uri: REDIRECT,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      return tokenRequest(
        t,
        { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT, ...auth },
        headers,
      );
    };
    const none = await exchange({ client_id: clientId! });
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('invalid_client');
    expect((await exchange({ client_id: clientId!, client_secret: 'pycs_wrong' })).body.error).toBe(
      'invalid_client',
    );
    expect((await exchange({ client_id: clientId!, client_secret: secret! })).status).toBe(200);
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId!)}:${encodeURIComponent(secret!)}`).toString('base64')}`;
    const viaBasic = await exchange({}, { authorization: basic });
    expect(viaBasic.status).toBe(200);
    // Without a resource the access token's audience is the issuer (userinfo only).
    const userinfo = await t.request(`${BASE}/oauth/userinfo`, {
      headers: { authorization: `Bearer ${viaBasic.body.access_token as string}` },
    });
    expect(userinfo.status).toBe(403);
    expect(userinfo.headers.get('www-authenticate')).toBe('Bearer realm="pylon", error="insufficient_scope"');
  });

  it('userinfo challenges a request without a token with no error code (RFC 6750 §3.1)', async () => {
    for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }] as Record<string, string>[]) {
      for (const method of ['GET', 'POST']) {
        const missing = await t.request(`${BASE}/oauth/userinfo`, { method, headers });
        expect(missing.status).toBe(401);
        expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="pylon"');
        expect(await missing.text()).toBe('');
      }
    }
    // A token that was sent and refused is told why.
    for (const authorization of ['Bearer not-a-token', 'Bearer ', 'bearer x.y.z']) {
      const refused = await t.request(`${BASE}/oauth/userinfo`, { headers: { authorization } });
      expect(refused.status, authorization).toBe(401);
      expect(refused.headers.get('www-authenticate'), authorization).toBe(
        'Bearer realm="pylon", error="invalid_token"',
      );
    }
  });

  it('RFC 7591 registration when enabled; 404 when not', async () => {
    const registered = await call(t, 'POST', `${BASE}/oauth/register`, {
      token: null,
      body: { redirect_uris: [REDIRECT], client_name: 'Dynamic', token_endpoint_auth_method: 'none' },
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({
      client_name: 'Dynamic',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
    });
    expect(registered.body.client_secret).toBeUndefined();
    const bad = await call(t, 'POST', `${BASE}/oauth/register`, {
      token: null,
      body: { redirect_uris: [REDIRECT], grant_types: ['implicit'] },
    });
    expect(bad.body.error).toBe('invalid_client_metadata');
    // A field the request's shape gets wrong answers RFC 7591 §3.2.2's codes, not invalid_request.
    for (const [body, error] of [
      [{ client_name: 'No redirects' }, 'invalid_redirect_uri'],
      [{ redirect_uris: 'http://127.0.0.1:7777/callback' }, 'invalid_redirect_uri'],
      [{ redirect_uris: [] }, 'invalid_redirect_uri'],
      [{ redirect_uris: [REDIRECT], client_name: 42 }, 'invalid_client_metadata'],
      [{ redirect_uris: [REDIRECT], grant_types: 'authorization_code' }, 'invalid_client_metadata'],
    ] as const) {
      const refused = await call(t, 'POST', `${BASE}/oauth/register`, { token: null, body });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error, JSON.stringify(body)).toBe(error);
      expect(refused.body.error_description, JSON.stringify(body)).toEqual(expect.any(String));
    }
    const limited = await startTestServer(database, {
      env: { PYLON_OAUTH_DYNAMIC_REGISTRATION: 'true', PYLON_RATE_LIMIT_REGISTRATIONS_PER_IP_HOUR: '1' },
    });
    try {
      const register = () =>
        call(limited, 'POST', `${BASE}/oauth/register`, { token: null, body: { redirect_uris: [REDIRECT] } });
      expect((await register()).status).toBe(201);
      const throttled = await register();
      expect(throttled.status).toBe(429);
      expect(throttled.body.error).toBe('too_many_requests');
    } finally {
      await limited.close();
    }
    const off = await startTestServer(database);
    try {
      const closed = await call(off, 'POST', `${BASE}/oauth/register`, {
        token: null,
        body: { redirect_uris: [REDIRECT] },
      });
      expect(closed.status).toBe(404);
      const metadata = await call(off, 'GET', `${BASE}/.well-known/oauth-authorization-server`, {
        token: null,
      });
      expect(metadata.body.registration_endpoint).toBeUndefined();
    } finally {
      await off.close();
    }
  });

  it('apps take an https resource URL, one app per resource, settable later', async () => {
    const refused = await call(t, 'POST', '/apps', {
      body: { name: 'plain', owner: 'o@example.com', resource: 'ftp://notes.example.com/' },
    });
    expect(refused.body.error).toBe('invalid_resource');
    const taken = await call(t, 'POST', '/apps', {
      body: { name: 'copy', owner: 'o@example.com', resource: RESOURCE },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toBe('resource_taken');
    expect((await call(t, 'POST', '/apps', { body: { name: 'later', owner: 'o@example.com' } })).status).toBe(
      201,
    );
    const set = await call(t, 'PATCH', '/apps/later', {
      body: { resource: 'https://later.example.com/mcp' },
    });
    expect(set.body).toMatchObject({ app_id: 'later', resource: 'https://later.example.com/mcp' });
    expect((await call(t, 'PATCH', '/apps/later', { body: { resource: RESOURCE } })).body.error).toBe(
      'resource_taken',
    );
    const listed = await call(t, 'GET', '/apps');
    expect(listed.body.apps).toContainEqual(expect.objectContaining({ app_id: 'notes', resource: RESOURCE }));
    const cleared = await call(t, 'PATCH', '/apps/later', { body: { resource: null } });
    expect(cleared.body.resource).toBeUndefined();
  });
});
