import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar } from '../support/cookie-jar.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  ADMIN,
  authorizeRequest,
  BASE,
  call,
  codeFor,
  decide,
  decodeHeader,
  decodePayload,
  grant,
  ISSUER,
  OTHER_RESOURCE,
  pkce,
  REDIRECT,
  RESOURCE,
  redirectParams,
  registerApp,
  registerClient,
  signInBrowser,
  tokenRequest,
} from './support.js';

describe.each(testDatabases)('authorization code flow on $kind', (database) => {
  let t: TestServer;
  let person: Awaited<ReturnType<typeof signInBrowser>>;
  let clientId: string;
  let n = 0;

  const params = (challenge: string, extra: Record<string, string> = {}) => ({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: `state-${++n}`,
    resource: RESOURCE,
    scope: 'openid email offline_access',
    ...extra,
  });
  const exchange = (code: string, verifier: string, extra: Record<string, string> = {}) =>
    tokenRequest(t, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: clientId,
      resource: RESOURCE,
      ...extra,
    });
  const refresh = (token: string) =>
    tokenRequest(t, { grant_type: 'refresh_token', refresh_token: token, client_id: clientId });
  /** A fresh code+PKCE grant for the person, through their (remembered) consent. */
  const tokens = async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFor(t, person.jar, params(challenge));
    const answer = await exchange(code, verifier);
    expect(answer.status).toBe(200);
    return answer.body as { access_token: string; refresh_token: string; id_token?: string };
  };

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    await registerApp(t, 'notes', RESOURCE);
    await registerApp(t, 'calendar', OTHER_RESOURCE);
    person = await signInBrowser(t, 'reader@example.com');
    await grant(t, person.email, 'notes', 'editor');
    clientId = (await registerClient(t)).client_id;
  });
  afterAll(() => t.close());

  it('shows the consent page with the client, the MCP server and the capabilities, then issues a code', async () => {
    const { verifier, challenge } = pkce();
    const asked = params(challenge);
    const page = await authorizeRequest(t, person.jar, asked);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Notes desktop');
    expect(html).toContain(RESOURCE);
    expect(html).toContain('notes:notes.write');
    expect(html).toContain('notes:notes.read');
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:7777");
    const answer = redirectParams(await decide(t, person.jar, html, 'allow'));
    expect(answer.get('state')).toBe(asked.state);
    expect(answer.get('iss')).toBe(ISSUER);
    const code = answer.get('code')!;
    expect(code).toMatch(/^pyoc_/);

    const issued = await exchange(code, verifier);
    expect(issued.status).toBe(200);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    expect(issued.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'openid email offline_access',
    });
    const access = issued.body.access_token as string;
    expect(decodeHeader(access)).toMatchObject({ typ: 'at+jwt', alg: 'EdDSA' });
    // The same key set that verifies scoped tokens verifies access tokens.
    const keys = (await (await t.request('/.well-known/pylon-keys')).json()) as { keys: [] };
    const { payload } = await jwtVerify(access, createLocalJWKSet(keys), {
      typ: 'at+jwt',
      issuer: ISSUER,
      audience: RESOURCE,
      currentDate: new Date(t.clock.now()),
    });
    expect(payload).toMatchObject({
      sub: person.userId,
      client_id: clientId,
      scope: 'openid email offline_access',
      org: 'default',
      app: 'notes',
      caps: ['notes:notes.read', 'notes:notes.write'],
    });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(typeof payload.jti).toBe('string');
    expect(issued.body.refresh_token).toMatch(/^pyrt_/);
    // A token for the MCP server is that server's: userinfo (whose audience is the issuer) refuses it.
    const userinfo = await t.request(`${BASE}/oauth/userinfo`, {
      headers: { authorization: `Bearer ${access}` },
    });
    expect(userinfo.status).toBe(401);
    expect(decodePayload(issued.body.id_token as string)).toMatchObject({
      iss: ISSUER,
      aud: clientId,
      sub: person.userId,
      email: person.email,
      email_verified: true,
      amr: ['otp'],
    });
  });

  it('remembers consent per (person, client, resource): the next request skips the page', async () => {
    const { challenge } = pkce();
    const again = await authorizeRequest(t, person.jar, params(challenge));
    expect(redirectParams(again).get('code')).toMatch(/^pyoc_/);
    // prompt=consent asks again.
    const asked = await authorizeRequest(t, person.jar, params(challenge, { prompt: 'consent' }));
    expect(asked.status).toBe(200);
  });

  it('sends a browser without a session to the login page and back', async () => {
    const { challenge } = pkce();
    const response = await authorizeRequest(t, new CookieJar(), params(challenge));
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!, 'http://localhost:4000');
    expect(location.pathname).toBe(`${BASE}/login`);
    expect(location.searchParams.get('return_to')).toMatch(/^\/o\/default\/oauth\/authorize\?/);
    const none = await authorizeRequest(t, new CookieJar(), params(challenge, { prompt: 'none' }));
    expect(redirectParams(none).get('error')).toBe('login_required');
  });

  it('refuses a request without PKCE, or with plain PKCE', async () => {
    const { challenge } = pkce();
    const missing = params(challenge);
    delete (missing as Record<string, string>).code_challenge;
    const noPKCE = redirectParams(await authorizeRequest(t, person.jar, missing));
    expect(noPKCE.get('error')).toBe('invalid_request');
    expect(noPKCE.get('state')).toBe(missing.state);
    expect(noPKCE.get('iss')).toBe(ISSUER);
    const plain = redirectParams(
      await authorizeRequest(t, person.jar, params(challenge, { code_challenge_method: 'plain' })),
    );
    expect(plain.get('error')).toBe('invalid_request');
    const implicit = redirectParams(
      await authorizeRequest(t, person.jar, params(challenge, { response_type: 'token' })),
    );
    expect(implicit.get('error')).toBe('unsupported_response_type');
  });

  it('never redirects to an unregistered redirect URI or for an unknown client', async () => {
    const { challenge } = pkce();
    const refused: Record<string, string>[] = [
      { redirect_uri: 'http://127.0.0.1:7777/other' },
      { redirect_uri: 'https://attacker.example/callback' },
      { client_id: 'pyc_unknown' },
    ];
    for (const bad of refused) {
      const response = await authorizeRequest(t, person.jar, params(challenge, bad));
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
    }
    // RFC 8252 §7.3: a loopback IP redirect may use any port.
    const otherPort = await authorizeRequest(
      t,
      person.jar,
      params(challenge, { redirect_uri: 'http://127.0.0.1:9999/callback' }),
    );
    expect(redirectParams(otherPort).get('code')).toMatch(/^pyoc_/);
  });

  it('refuses a resource no app of the org registered', async () => {
    const { challenge } = pkce();
    const unknown = redirectParams(
      await authorizeRequest(t, person.jar, params(challenge, { resource: 'https://nowhere.example/mcp' })),
    );
    expect(unknown.get('error')).toBe('invalid_target');
  });

  it('refuses a verifier that does not match, a wrong redirect URI, and a resource for another app', async () => {
    const { verifier, challenge } = pkce();
    const wrongVerifier = await exchange(await codeFor(t, person.jar, params(challenge)), pkce().verifier);
    expect(wrongVerifier.body.error).toBe('invalid_grant');
    const wrongRedirect = await exchange(await codeFor(t, person.jar, params(challenge)), verifier, {
      redirect_uri: 'http://127.0.0.1:7777/elsewhere',
    });
    expect(wrongRedirect.body.error).toBe('invalid_grant');
    const otherApp = await exchange(await codeFor(t, person.jar, params(challenge)), verifier, {
      resource: OTHER_RESOURCE,
    });
    expect(otherApp.status).toBe(400);
    expect(otherApp.body.error).toBe('invalid_target');
    const noVerifier = await exchange(await codeFor(t, person.jar, params(challenge)), '');
    expect(noVerifier.body.error).toBe('invalid_request');
  });

  it('a replayed code is refused and revokes the tokens issued from it', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFor(t, person.jar, params(challenge));
    const first = await exchange(code, verifier);
    expect(first.status).toBe(200);
    const replay = await exchange(code, verifier);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect((await refresh(first.body.refresh_token as string)).body.error).toBe('invalid_grant');
  });

  it('an expired code is refused', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFor(t, person.jar, params(challenge));
    t.clock.advance(61_000);
    expect((await exchange(code, verifier)).body.error).toBe('invalid_grant');
  });

  it('rotates refresh tokens; reusing one revokes the family', async () => {
    const issued = await tokens();
    const second = await refresh(issued.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(issued.refresh_token);
    expect(decodePayload(second.body.access_token as string)).toMatchObject({ aud: RESOURCE, app: 'notes' });
    // The rotated-away token again: refused, and its successor dies with it — each refusal saying
    // what happened to the token it was given.
    expect((await refresh(issued.refresh_token)).body).toEqual({
      error: 'invalid_grant',
      error_description: 'The refresh token was already used; its grant is revoked',
    });
    expect((await refresh(second.body.refresh_token as string)).body).toEqual({
      error: 'invalid_grant',
      error_description: 'The refresh token was revoked',
    });
    expect((await refresh(issued.refresh_token)).body.error_description).toBe(
      'The refresh token was revoked',
    );
    expect((await refresh('pyrt_never-issued')).body.error_description).toBe(
      'The refresh token is not valid',
    );
  });

  it('a grant change reaches the next access token', async () => {
    const issued = await tokens();
    await grant(t, person.email, 'notes', 'reader');
    const refreshed = await refresh(issued.refresh_token);
    expect(decodePayload(refreshed.body.access_token as string).caps).toEqual(['notes:notes.read']);
    await grant(t, person.email, 'notes', 'editor');
  });

  it('a refresh token only works for its own client', async () => {
    const issued = await tokens();
    const other = await registerClient(t, { client_name: 'Other' });
    const stolen = await tokenRequest(t, {
      grant_type: 'refresh_token',
      refresh_token: issued.refresh_token,
      client_id: other.client_id,
    });
    expect(stolen.body.error).toBe('invalid_grant');
    expect((await refresh(issued.refresh_token)).status).toBe(200);
  });

  it('a consent form posted from another browser is refused', async () => {
    const { challenge } = pkce();
    const page = await authorizeRequest(t, person.jar, params(challenge, { prompt: 'consent' }));
    const html = await page.text();
    // The same session, but not the browser that was shown the page (no flow cookie).
    const elsewhere = new CookieJar();
    elsewhere.set('pylon_session', person.jar.get('pylon_session')!);
    expect((await decide(t, elsewhere, html, 'allow')).status).toBe(403);
    const denied = redirectParams(await decide(t, person.jar, html, 'deny'));
    expect(denied.get('error')).toBe('access_denied');
    expect(denied.get('iss')).toBe(ISSUER);
  });

  it('lists and revokes consents; revoking one revokes its refresh tokens', async () => {
    const issued = await tokens();
    const listed = await call(t, 'GET', `${BASE}/oauth/consents`, { token: person.token });
    expect(listed.status).toBe(200);
    const consents = listed.body.consents as Array<Record<string, unknown>>;
    expect(consents).toEqual([
      expect.objectContaining({ client_id: clientId, client_name: 'Notes desktop', resource: RESOURCE }),
    ]);
    const stranger = await signInBrowser(t, 'stranger@example.com');
    const id = consents[0]!.id as string;
    expect((await call(t, 'DELETE', `${BASE}/oauth/consents/${id}`, { token: stranger.token })).status).toBe(
      404,
    );
    const revoked = await call(t, 'DELETE', `${BASE}/oauth/consents/${id}`, { token: person.token });
    expect(revoked.body).toEqual({ id, revoked: true });
    expect((await refresh(issued.refresh_token)).body.error).toBe('invalid_grant');
    const { challenge } = pkce();
    expect((await authorizeRequest(t, person.jar, params(challenge))).status).toBe(200);
    expect((await call(t, 'GET', `${BASE}/oauth/consents`, { token: null })).body.error).toBe('no_session');
  });

  it('revokes a refresh token (RFC 7009), answering 200 for unknown tokens too', async () => {
    const issued = await tokens();
    const revoke = (token: string) =>
      t.request(`${BASE}/oauth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, client_id: clientId }).toString(),
      });
    expect((await revoke(issued.refresh_token)).status).toBe(200);
    expect((await refresh(issued.refresh_token)).body.error).toBe('invalid_grant');
    expect((await revoke('pyrt_not-a-token')).status).toBe(200);
  });
});
