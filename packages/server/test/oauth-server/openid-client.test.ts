import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listening, listen } from '../../src/platform/listen.js';
import type { CookieJar } from '../support/cookie-jar.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { ADMIN, BASE, call, decodeHeader, ISSUER, REDIRECT, signInBrowser } from './support.js';

// Pylon as an OpenID Provider, driven by a relying party written by others: openid-client does
// code + PKCE with the openid scope, validates the id_token (EdDSA and RS256) and calls userinfo.
describe('OpenID Provider with openid-client as the relying party', () => {
  let t: TestServer;
  let listening: Listening;
  let person: Awaited<ReturnType<typeof signInBrowser>>;

  beforeAll(async () => {
    t = await startTestServer(testDatabases[0]!, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    // openid-client checks tokens against the current time: the server's clock follows it.
    t.clock.set(Date.now());
    listening = await listen(t.server.fetch, 0, '127.0.0.1');
    person = await signInBrowser(t, 'rp-person@example.com');
    t.clock.set(Date.now());
  });
  afterAll(async () => {
    await listening.close(1000);
    await t.close();
  });

  /** The discovery document, with its endpoints moved to where this test listens (the issuer stays). */
  async function configuration(
    clientId: string,
    metadata: Partial<client.ClientMetadata>,
    auth: client.ClientAuth,
  ) {
    const base = `${listening.url}${BASE}`;
    const discovered = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovered.issuer).toBe(ISSUER);
    const moved = Object.fromEntries(
      Object.entries(discovered).map(([key, value]) => [
        key,
        typeof value === 'string' && key !== 'issuer' ? value.replace(ISSUER, base) : value,
      ]),
    );
    const config = new client.Configuration(moved as client.ServerMetadata, clientId, metadata, auth);
    client.allowInsecureRequests(config);
    return config;
  }

  /** The person's browser: the authorisation URL, the consent page, Allow, and the redirect back. */
  async function browse(authorizationURL: URL, jar: CookieJar): Promise<URL> {
    const page = await fetch(authorizationURL, { ...jar.apply(), redirect: 'manual' });
    jar.store(page);
    expect(page.status).toBe(200);
    const html = await page.text();
    const form = new URLSearchParams();
    for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      form.set(match[1]!, match[2]!.replace(/&amp;/g, '&'));
    }
    form.set('decision', 'allow');
    const decided = await fetch(
      `${listening.url}${BASE}/oauth/authorize`,
      jar.apply({
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:4000' },
        body: form.toString(),
      }),
    );
    expect(decided.status).toBe(303);
    return new URL(decided.headers.get('location')!);
  }

  for (const alg of ['RS256', 'EdDSA'] as const) {
    it(`signs the person in with an ${alg} id_token and answers userinfo`, async () => {
      const confidential = alg === 'RS256';
      const registered = await call(t, 'POST', `${BASE}/oauth/clients`, {
        body: {
          client_name: `Wiki (${alg})`,
          redirect_uris: [REDIRECT],
          confidential,
          id_token_signed_response_alg: alg,
        },
      });
      const { client_id: clientId, client_secret: secret } = registered.body as Record<string, string>;
      const config = await configuration(
        clientId!,
        { id_token_signed_response_alg: alg },
        confidential ? client.ClientSecretBasic(secret!) : client.None(),
      );
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid email profile',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        nonce,
        state,
      });
      t.clock.set(Date.now());
      const callback = await browse(url, person.jar);
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedNonce: nonce,
        expectedState: state,
        idTokenExpected: true,
      });
      expect(decodeHeader(tokens.id_token!).alg).toBe(alg);
      const claims = tokens.claims()!;
      expect(claims).toMatchObject({
        iss: ISSUER,
        aud: clientId,
        sub: person.userId,
        nonce,
        email: person.email,
        email_verified: true,
        amr: ['otp'],
      });
      expect(typeof claims.auth_time).toBe('number');
      const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      expect(info).toEqual({ sub: person.userId, email: person.email, email_verified: true });
    }, 30_000);
  }

  it('refuses userinfo without a valid access token', async () => {
    const refused = await fetch(`${listening.url}${BASE}/oauth/userinfo`, {
      headers: { authorization: 'Bearer not-a-token' },
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="pylon", error="invalid_token"');
  });
});
