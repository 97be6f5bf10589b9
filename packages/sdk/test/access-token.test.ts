import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { type JWTPayload, SignJWT } from 'jose';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pylonClient } from '../src/client.js';
import { TokenInvalidError } from '../src/errors.js';
import type { VerifyFailureReason } from '../src/events.js';
import { type NodeRequestLike, pylonGuard } from '../src/guard.js';
import {
  type BearerChallenge,
  bearerChallenge,
  protectedResourceMetadataURL,
  pylonResourceMetadata,
} from '../src/resource-server.js';
import { fakePylon, manualClock } from './support/fake-pylon.js';
import {
  APP_ID,
  NOW,
  NOW_MS,
  ORG_ID,
  ORG_URL,
  type SigningKey,
  scopedClaims,
  sign,
  signingKey,
} from './support/keys.js';

const RESOURCE_A = 'https://notes.example.com/mcp';
const RESOURCE_B = 'https://files.example.com/mcp';

/** RFC 9068 §2.2 claims as Pylon's token endpoint writes them (docs/MCP.md), overridable. */
function accessClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ORG_URL,
    sub: 'usr_alice',
    aud: RESOURCE_A,
    client_id: 'https://client.example.com/oauth/metadata.json',
    scope: 'offline_access',
    org: ORG_ID,
    app: APP_ID,
    caps: ['notes:notes.read'],
    iat: NOW,
    exp: NOW + 300,
    jti: `at-${Math.random()}`,
    ...overrides,
  };
}

function signAccess(key: SigningKey, claims: JWTPayload = accessClaims(), typ = 'at+jwt'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ }).sign(key.privateKey);
}

let key: SigningKey;
beforeAll(async () => {
  key = await signingKey('k1');
});

describe('OAuth access tokens (RFC 9068) beside scoped tokens', () => {
  let reasons: VerifyFailureReason[];
  const make = (resource: string | undefined, clock = manualClock(NOW_MS)) =>
    pylonClient({
      orgUrl: ORG_URL,
      appId: APP_ID,
      expectedOrgId: ORG_ID,
      ...(resource === undefined ? {} : { resource }),
      fetch: fakePylon([key]).fetch,
      clock,
      logger: null,
      onEvent: (name, detail) => {
        if (name === 'token.verify.failed') reasons.push(detail.reason);
      },
    });

  beforeEach(() => {
    reasons = [];
  });

  async function expectRefused(client: ReturnType<typeof make>, token: string, reason: VerifyFailureReason) {
    const error = await client.verify(token).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenInvalidError);
    expect((error as Error).message).not.toContain(reason);
    expect(reasons.at(-1)).toBe(reason);
  }

  it('accepts an access token for this resource, with its OAuth client and scope on the actor', async () => {
    const server = make(RESOURCE_A);
    expect(await server.verify(await signAccess(key))).toEqual({
      sub: 'usr_alice',
      org: ORG_ID,
      app: APP_ID,
      caps: ['notes:notes.read'],
      client_id: 'https://client.example.com/oauth/metadata.json',
      scope: 'offline_access',
    });
    expect(await server.verify(await signAccess(key, accessClaims(), 'application/AT+JWT'))).toMatchObject({
      sub: 'usr_alice',
    });
    // The same server still takes scoped tokens, whose actor has no client.
    expect(await server.verify(await sign(key))).not.toHaveProperty('client_id');
    expect(reasons).toEqual([]);
  });

  it('a token for server A presented to server B is refused (wrong_audience)', async () => {
    const tokenForA = await signAccess(key);
    await expectRefused(make(RESOURCE_B), tokenForA, 'wrong_audience');
    await expectRefused(make(`${RESOURCE_A}/`), tokenForA, 'wrong_audience');
  });

  it('a server without resource refuses every access token (wrong_token_type)', async () => {
    await expectRefused(make(undefined), await signAccess(key), 'wrong_token_type');
  });

  it('neither kind passes as the other', async () => {
    const server = make(RESOURCE_A);
    // A scoped token relabelled at+jwt: no client_id; given one, its aud is still the app id.
    await expectRefused(server, await signAccess(key, scopedClaims()), 'malformed');
    await expectRefused(server, await signAccess(key, scopedClaims({ client_id: 'c' })), 'wrong_audience');
    // An access token without its typ is checked as a scoped token: its aud is not the app id.
    await expectRefused(server, await signAccess(key, accessClaims({ nbf: NOW }), 'JWT'), 'wrong_audience');
    // Even with aud = the app id, a scoped token cannot live 5 minutes.
    await expectRefused(
      server,
      await sign(key, scopedClaims({ exp: NOW + 300, aud: APP_ID })),
      'lifetime_too_long',
    );
  });

  it('refuses what RFC 9068 §4 refuses: other issuer, org, app, no client_id, no iat, expired, too long', async () => {
    const server = make(RESOURCE_A);
    await expectRefused(
      server,
      await signAccess(key, accessClaims({ iss: 'https://pylon.example.com/o/acme' })),
      'wrong_issuer',
    );
    await expectRefused(
      server,
      await signAccess(key, accessClaims({ iss: 'http://127.0.0.1:4000/o/other' })),
      'wrong_org',
    );
    await expectRefused(server, await signAccess(key, accessClaims({ org: 'other' })), 'wrong_org');
    await expectRefused(server, await signAccess(key, accessClaims({ app: 'files' })), 'wrong_app');
    await expectRefused(server, await signAccess(key, accessClaims({ client_id: undefined })), 'malformed');
    await expectRefused(server, await signAccess(key, accessClaims({ iat: undefined })), 'malformed');
    await expectRefused(server, await signAccess(key, accessClaims({ scope: 7 })), 'malformed');
    await expectRefused(server, await signAccess(key, accessClaims({ exp: NOW - 3 })), 'expired');
    await expectRefused(server, await signAccess(key, accessClaims({ nbf: NOW + 60 })), 'not_yet_valid');
    await expectRefused(
      server,
      await signAccess(key, accessClaims({ exp: NOW + 3600 })),
      'lifetime_too_long',
    );
    const tampered = (await signAccess(key)).split('.');
    tampered[1] = Buffer.from(JSON.stringify(accessClaims({ caps: ['notes:notes.delete'] }))).toString(
      'base64url',
    );
    await expectRefused(server, tampered.join('.'), 'bad_signature');
  });

  it('an access token stops working at its exp (plus the skew), including from the cache', async () => {
    const clock = manualClock(NOW_MS);
    const server = make(RESOURCE_A, clock);
    const token = await signAccess(key);
    await server.verify(token);
    clock.advance(302_000);
    await expectRefused(server, token, 'expired');
  });

  it('names the token an access token when made with resource, a scoped token otherwise', async () => {
    const refusedBy = (client: ReturnType<typeof make>, token: string) =>
      client.verify(token).catch((caught: unknown) => caught);
    const atServer = await refusedBy(
      make(RESOURCE_A),
      await signAccess(key, accessClaims({ aud: RESOURCE_B })),
    );
    expect(atServer).toBeInstanceOf(TokenInvalidError);
    expect(atServer).toMatchObject({ code: 'token_invalid', message: 'The access token is not valid' });
    const scopedOnly = await refusedBy(make(undefined), await signAccess(key));
    expect(scopedOnly).toMatchObject({ code: 'token_invalid', message: 'The scoped token is not valid' });
  });

  it('checks its options: resource must be an https URL (http on loopback) without a fragment', () => {
    const options = { orgUrl: ORG_URL, appId: APP_ID, expectedOrgId: ORG_ID };
    expect(() => pylonClient({ ...options, resource: 'notes' })).toThrow(TypeError);
    expect(() => pylonClient({ ...options, resource: 'http://notes.example.com/mcp' })).toThrow(/https/);
    expect(() => pylonClient({ ...options, resource: 'https://notes.example.com/mcp#x' })).toThrow(
      /fragment/,
    );
    expect(() => pylonClient({ ...options, resource: RESOURCE_A, maxAccessTokenLifetimeSeconds: 0 })).toThrow(
      /maxAccessTokenLifetimeSeconds/,
    );
    expect(pylonClient({ ...options, resource: 'http://127.0.0.1:3333/mcp' }).resource).toBe(
      'http://127.0.0.1:3333/mcp',
    );
    // Written as Pylon stores an app's resource (the URL parser's form), so `aud` compares equal.
    expect(pylonClient({ ...options, resource: 'https://Notes.example.com' }).resource).toBe(
      'https://notes.example.com/',
    );
  });
});

describe('the resource server side: RFC 9728 metadata and RFC 6750 challenges', () => {
  const server = () =>
    pylonClient({
      orgUrl: ORG_URL,
      appId: APP_ID,
      expectedOrgId: ORG_ID,
      resource: RESOURCE_A,
      fetch: fakePylon([key]).fetch,
      clock: manualClock(NOW_MS),
      logger: null,
    });

  it('puts the metadata where RFC 9728 §3.1 says: the well-known segment before the path', () => {
    expect(protectedResourceMetadataURL('https://notes.example.com/mcp')).toBe(
      'https://notes.example.com/.well-known/oauth-protected-resource/mcp',
    );
    expect(protectedResourceMetadataURL('https://notes.example.com/')).toBe(
      'https://notes.example.com/.well-known/oauth-protected-resource',
    );
    expect(protectedResourceMetadataURL('http://127.0.0.1:3333/a/mcp/')).toBe(
      'http://127.0.0.1:3333/.well-known/oauth-protected-resource/a/mcp',
    );
  });

  it('builds challenges, escaping quoted strings and leaving out empty parameters', () => {
    expect(bearerChallenge({})).toBe('Bearer');
    expect(bearerChallenge({ realm: 'pylon', error: undefined, resource_metadata: 'https://x/y' })).toBe(
      'Bearer realm="pylon", resource_metadata="https://x/y"',
    );
    expect(bearerChallenge({ realm: 'say "hi" \\ bye' })).toBe('Bearer realm="say \\"hi\\" \\\\ bye"');
  });

  it('keeps every parameter to the characters its grammar allows: no header injection (RFC 6750 §3)', () => {
    // A line break would end the header and start another one.
    expect(bearerChallenge({ error_description: 'line\r\nInjected: yes' })).toBe(
      'Bearer error_description="lineInjected: yes"',
    );
    expect(bearerChallenge({ realm: 'a\r\nb\u0000c\u007fd\te', resource_metadata: 'https://x/\ny' })).toBe(
      'Bearer realm="abcde", resource_metadata="https://x/y"',
    );
    // error, error_description and scope: %x20-21 / %x23-5B / %x5D-7E, so no quote, no
    // backslash (nothing to escape) and nothing past ASCII.
    expect(bearerChallenge({ error_description: 'say "hi" \\ to José', scope: 'notes:read "x"' })).toBe(
      'Bearer error_description="say hi  to Jos", scope="notes:read x"',
    );
    expect(bearerChallenge({ error: 'invalid_token\r\nX: y' as 'invalid_token' })).toBe(
      'Bearer error="invalid_tokenX: y"',
    );
    // A name that is not a token (a JavaScript caller may pass any object) is left out.
    expect(bearerChallenge({ realm: 'pylon', 'x\r\nInjected: yes': 'z' } as BearerChallenge)).toBe(
      'Bearer realm="pylon"',
    );
    // Nothing left of a value: the parameter is left out, as an empty one is.
    expect(bearerChallenge({ realm: 'pylon', error_description: '\r\n' })).toBe('Bearer realm="pylon"');
    // What no header can carry never reaches one: Headers would refuse a CR or LF.
    const challenge = bearerChallenge({ error_description: 'a\r\nb', realm: '\u2028' });
    expect(new Headers({ 'www-authenticate': challenge }).get('www-authenticate')).toBe(challenge);
  });

  it('serves the document naming the org issuer, to Hono and to Node', async () => {
    const metadata = pylonResourceMetadata(server(), {
      scopesSupported: ['offline_access'],
      resourceName: 'Notes',
    });
    expect(metadata.path).toBe('/.well-known/oauth-protected-resource/mcp');
    const expected = {
      resource: RESOURCE_A,
      authorization_servers: [ORG_URL],
      bearer_methods_supported: ['header'],
      scopes_supported: ['offline_access'],
      resource_name: 'Notes',
    };
    const app = new Hono();
    app.get(metadata.path, metadata.hono);
    const response = await app.request(metadata.path);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(await response.json()).toEqual(expected);

    const http = createServer((req, res) => void metadata.node(req, res));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = http.address() as AddressInfo;
      const answer = await fetch(`http://127.0.0.1:${port}${metadata.path}`);
      expect(await answer.json()).toEqual(expected);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('answers 503 when Pylon cannot be discovered, and refuses a client without resource', async () => {
    const down = fakePylon([key]);
    down.state.discoveryStatus = 502;
    const client = pylonClient({
      orgUrl: ORG_URL,
      appId: APP_ID,
      expectedOrgId: ORG_ID,
      resource: RESOURCE_A,
      fetch: down.fetch,
      logger: null,
    });
    expect((await pylonResourceMetadata(client).hono()).status).toBe(503);
    expect(() =>
      pylonResourceMetadata(pylonClient({ orgUrl: ORG_URL, appId: APP_ID, expectedOrgId: ORG_ID })),
    ).toThrow(/resource/);
  });

  it('the guard names the metadata in 401 and 403 challenges, and says invalid_token only for a token', async () => {
    const resourceMetadata = `resource_metadata="${protectedResourceMetadataURL(RESOURCE_A)}"`;
    const app = new Hono();
    app.use('/mcp', pylonGuard(server(), { requiredCapability: 'notes.delete' }).hono);
    app.post('/mcp', (c) => c.text('ok'));

    const missing = await app.request('/mcp', { method: 'POST' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe(`Bearer realm="pylon", ${resourceMetadata}`);

    const bad = await app.request('/mcp', {
      method: 'POST',
      headers: { authorization: `Bearer ${await signAccess(key, accessClaims({ aud: RESOURCE_B }))}` },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe(
      `Bearer realm="pylon", error="invalid_token", ${resourceMetadata}`,
    );

    const denied = await app.request('/mcp', {
      method: 'POST',
      headers: { authorization: `Bearer ${await signAccess(key)}` },
    });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toBe(
      `Bearer realm="pylon", error="insufficient_scope", ${resourceMetadata}`,
    );
  });

  it('the guard’s 401 bodies name an access token, with the same error codes', async () => {
    const app = new Hono();
    app.use('/mcp', pylonGuard(server()).hono);
    app.post('/mcp', (c) => c.text('ok'));
    const missing = await app.request('/mcp', { method: 'POST' });
    expect(await missing.json()).toEqual({
      error: 'no_session',
      message: 'A Pylon access token is required',
    });
    const bad = await app.request('/mcp', {
      method: 'POST',
      headers: { authorization: `Bearer ${await signAccess(key, accessClaims({ aud: RESOURCE_B }))}` },
    });
    expect(await bad.json()).toEqual({
      error: 'token_invalid',
      message: 'The Pylon access token is not valid',
    });
    const tool = pylonGuard(server()).tool(async () => ({ content: [] }));
    expect(await tool({}, {})).toMatchObject({
      content: [
        { text: JSON.stringify({ error: 'no_session', message: 'A Pylon access token is required' }) },
      ],
    });
  });

  it('the Node guard hands the MCP SDK the OAuth client and resource as AuthInfo', async () => {
    const token = await signAccess(key);
    const req: NodeRequestLike = { headers: { authorization: `Bearer ${token}` } };
    const res = { statusCode: 200, setHeader: () => undefined, end: () => undefined };
    await new Promise<void>((resolve, reject) =>
      pylonGuard(server()).node(req, res, (error) => (error ? reject(error) : resolve())),
    );
    expect(req.auth).toEqual({
      token,
      clientId: 'https://client.example.com/oauth/metadata.json',
      scopes: ['notes:notes.read'],
      extra: { sub: 'usr_alice', org: ORG_ID },
      resource: new URL(RESOURCE_A),
    });
  });
});
