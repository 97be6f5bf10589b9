import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listening, listen } from '../../src/platform/listen.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

// The RFC 8628 endpoints driven by a client written by others: openid-client's device flow.
describe('device flow with openid-client', () => {
  let t: TestServer;
  let listening: Listening;

  beforeAll(async () => {
    t = await startTestServer(testDatabases[0]!);
    listening = await listen(t.server.fetch, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await listening.close(1000);
    await t.close();
  });

  it('initiates, is approved by the person, and polls to a session', async () => {
    const base = `${listening.url}/o/default`;
    const metadata = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      string
    >;
    // The metadata names endpoints under the public URL; the client talks to where we listen.
    const config = new client.Configuration(
      {
        issuer: metadata.issuer!,
        device_authorization_endpoint: `${base}/oauth/device_authorization`,
        token_endpoint: `${base}/oauth/token`,
      },
      'third-party-tool',
      undefined,
      client.None(),
    );
    client.allowInsecureRequests(config);
    const authorization = await client.initiateDeviceAuthorization(config, {});
    expect(authorization.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);

    // The person signs in and approves in the browser (here: with a session bearer).
    const email = 'device-client@example.com';
    const post = (path: string, body: unknown, token?: string) =>
      fetch(`${listening.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      }).then((response) => response.json() as Promise<Record<string, string>>);
    const sent = await post('/api/auth/magic/send', { email });
    const { token } = await post('/api/auth/magic/verify', { email, code: sent.dev_code });
    const decided = await post(
      '/device/complete',
      { user_code: authorization.user_code, approve: true },
      token,
    );
    expect(decided.status).toBe('approved');

    const tokens = await client.pollDeviceAuthorizationGrant(config, authorization);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.access_token).toMatch(/^pylon_/);
    const me = await fetch(`${listening.url}/api/auth/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(await me.json()).toMatchObject({ email, authMethod: 'session', tenantId: 'default' });
  }, 30_000);
});
