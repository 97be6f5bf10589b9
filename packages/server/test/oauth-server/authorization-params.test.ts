import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CookieJar } from '../support/cookie-jar.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  ADMIN,
  BASE,
  call,
  codeFor,
  pkce,
  REDIRECT,
  registerClient,
  signInBrowser,
  tokenRequest,
} from './support.js';

/**
 * The authorisation request's parameters as RFC 6749 §4.1.2.1 orders their errors: before the
 * client and its redirect URI are confirmed, an error is shown on Pylon's own page; after, it goes
 * back to the redirect URI as `error=invalid_request`, with `state` only when `state` itself is
 * acceptable. A parameter sent twice (§3.1) is such an error; so are request objects, which Pylon
 * does not take (OIDC Core §6.1).
 */
describe.each(testDatabases)('the authorisation request’s parameters on $kind', (database) => {
  let t: TestServer;
  let jar: CookieJar;
  let clientId: string;

  const base = () => ({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    state: 'the-state',
  });
  /** GET the endpoint with the query as given (names may repeat), as the signed-in browser. */
  const authorize = (pairs: Array<[string, string]>) =>
    t.request(`${BASE}/oauth/authorize?${new URLSearchParams(pairs)}`, jar.apply());
  const withParams = (extra: Record<string, string>) => authorize(Object.entries({ ...base(), ...extra }));
  /** The request with `name` sent twice (`value` each time it is not already in it). */
  const withRepeated = (name: string, value: string) => {
    const pairs = Object.entries(base());
    const once: Array<[string, string]> = pairs.some(([key]) => key === name) ? [] : [[name, value]];
    return authorize([...pairs, ...once, [name, value]]);
  };

  /** The error sent back to the client's redirect URI. */
  const sentBack = (response: Response) => {
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    return location.searchParams;
  };
  /** Pylon's own error page: nothing sent anywhere. */
  const shownHere = async (response: Response) => {
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toContain('text/html');
    const text = await response.text();
    expect(text).toContain('This request cannot continue');
    return text;
  };

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    clientId = (await registerClient(t)).client_id;
    ({ jar } = await signInBrowser(t, 'params@example.com'));
  });
  afterAll(() => t.close());

  it('sends a value over its limit back as invalid_request, with the state when that is acceptable', async () => {
    const over: Record<string, string> = {
      nonce: 'n'.repeat(513),
      max_age: '99999999999999999999',
      scope: `openid ${'x'.repeat(1000)}`,
      code_challenge: 'c'.repeat(129),
      prompt: 'login '.repeat(20),
      resource: `https://notes.example.com/${'r'.repeat(2048)}`,
    };
    for (const [name, value] of Object.entries(over)) {
      const answer = sentBack(await withParams({ [name]: value }));
      expect(answer.get('error'), name).toBe('invalid_request');
      expect(answer.get('error_description'), name).toContain(name);
      expect(answer.get('state'), name).toBe('the-state');
      expect(answer.get('code'), name).toBeNull();
    }
    const described = sentBack(await withParams({ nonce: 'n'.repeat(513) }));
    expect(described.get('error_description')).toBe('nonce is longer than 512 characters');
    // A state over its limit is no state to send back.
    const longState = sentBack(await withParams({ state: 's'.repeat(1025) }));
    expect(longState.get('error')).toBe('invalid_request');
    expect(longState.get('error_description')).toContain('state');
    expect(longState.has('state')).toBe(false);
  });

  it('shows its own page for a client_id or redirect_uri over its limit', async () => {
    await shownHere(await withParams({ redirect_uri: `${REDIRECT}?${'x'.repeat(2048)}` }));
    await shownHere(await withParams({ client_id: 'c'.repeat(2049) }));
  });

  it('refuses a parameter sent twice: on its page before the client is confirmed, else invalid_request', async () => {
    expect(await shownHere(await withRepeated('redirect_uri', REDIRECT))).toContain(
      'more than one redirect URI',
    );
    expect(await shownHere(await withRepeated('client_id', clientId))).toContain('more than one client');
    for (const name of ['nonce', 'scope', 'code_challenge', 'response_type']) {
      const answer = sentBack(await withRepeated(name, name === 'response_type' ? 'code' : 'openid'));
      expect(answer.get('error'), name).toBe('invalid_request');
      expect(answer.get('error_description'), name).toBe(`${name} is sent more than once`);
      expect(answer.get('state'), name).toBe('the-state');
    }
    // The same state twice is still two: no state goes back.
    const twice = sentBack(await withRepeated('state', 'the-state'));
    expect(twice.get('error')).toBe('invalid_request');
    expect(twice.has('state')).toBe(false);
    // A parameter the server does not know is ignored, repeated or not (RFC 6749 §3.1).
    const unknown = await authorize([
      ...Object.entries({ ...base(), prompt: 'consent' }),
      ['ui_locales', 'en'],
      ['ui_locales', 'fr'],
    ]);
    expect(unknown.status).toBe(200);
    expect(await unknown.text()).toContain('Allow access?');
  });

  it('refuses a token or revocation request that sends a parameter twice, before using the code', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFor(t, jar, { ...base(), code_challenge: challenge });
    const form = { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId };
    const post = (path: string, pairs: Array<[string, string]>) =>
      t.request(`${BASE}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(pairs).toString(),
      });
    for (const pairs of [
      [...Object.entries(form), ['redirect_uri', REDIRECT], ['redirect_uri', 'https://evil.example/cb']],
      [...Object.entries(form), ['redirect_uri', REDIRECT], ['redirect_uri', REDIRECT]],
      [...Object.entries(form), ['redirect_uri', REDIRECT], ['client_id', clientId]],
    ] as Array<Array<[string, string]>>) {
      const refused = await post('/oauth/token', pairs);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({
        error: 'invalid_request',
        error_description: expect.stringContaining('is sent more than once'),
      });
    }
    const revoke = await post('/oauth/revoke', [
      ['token', 'pyrt_x'],
      ['token', 'pyrt_y'],
      ['client_id', clientId],
    ]);
    expect(revoke.status).toBe(400);
    expect(((await revoke.json()) as { error: string }).error).toBe('invalid_request');
    // Refused before anything was read: the code still works, once.
    const exchanged = await tokenRequest(t, { ...form, redirect_uri: REDIRECT });
    expect(exchanged.status).toBe(200);
  });

  it('answers request_not_supported and request_uri_not_supported (OIDC Core §6.1), and says so in discovery', async () => {
    const request = sentBack(await withParams({ request: 'eyJhbGciOiJub25lIn0.e30.' }));
    expect(request.get('error')).toBe('request_not_supported');
    expect(request.get('state')).toBe('the-state');
    const requestURI = sentBack(await withParams({ request_uri: 'https://rp.example/request.jwt' }));
    expect(requestURI.get('error')).toBe('request_uri_not_supported');
    // Never to an unconfirmed redirect URI.
    await shownHere(
      await withParams({ request: 'eyJhbGciOiJub25lIn0.e30.', redirect_uri: 'https://evil.example/cb' }),
    );
    const discovery = await call(t, 'GET', `${BASE}/.well-known/openid-configuration`, { token: null });
    expect(discovery.body).toMatchObject({
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
    });
  });
});
