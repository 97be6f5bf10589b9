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
  decodePayload,
  grant,
  type Json,
  pkce,
  REDIRECT,
  RESOURCE,
  redirectParams,
  registerApp,
  registerClient,
  signInBrowser,
  tokenRequest,
} from './support.js';

/** OIDC Core §3.1.2.1 `prompt=login` and `max_age`: the person signs in again when asked to. */
describe.each(testDatabases)('prompt=login and max_age on $kind', (database) => {
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
    scope: 'openid email',
    ...extra,
  });
  /** The login page the answer sends the browser to, and the request it will come back with. */
  const sentToLogin = (response: Response) => {
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!, 'http://localhost:4000');
    expect(location.pathname).toBe(`${BASE}/login`);
    const back = new URL(location.searchParams.get('return_to')!, 'http://localhost:4000');
    expect(back.pathname).toBe(`${BASE}/oauth/authorize`);
    return back;
  };
  /** Sign in again in the same browser (a new session replaces the cookie). */
  const signInAgain = async (jar: CookieJar, email: string) => {
    t.clock.advance(61_000);
    const sent = await call(t, 'POST', '/api/auth/magic/send', { body: { email }, token: null });
    const verified = await t.request('/api/auth/magic/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, code: sent.body.dev_code }),
    });
    expect(verified.status).toBe(200);
    jar.store(verified);
  };
  const idTokenOf = async (code: string, verifier: string) => {
    const answer = await tokenRequest(t, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: clientId,
      resource: RESOURCE,
    });
    expect(answer.status).toBe(200);
    return decodePayload(answer.body.id_token as string) as Json & { auth_time: number };
  };

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    await registerApp(t, 'notes', RESOURCE);
    person = await signInBrowser(t, 'again@example.com');
    await grant(t, person.email, 'notes', 'reader');
    clientId = (await registerClient(t)).client_id;
    // Consent once, so that what follows is about signing in, not the consent page.
    const { challenge } = pkce();
    await codeFor(t, person.jar, params(challenge));
  });
  afterAll(() => t.close());

  it('prompt=login sends a signed-in person to sign in again; the new sign-in satisfies it once', async () => {
    t.clock.advance(5_000);
    const { verifier, challenge } = pkce();
    const asked = params(challenge, { prompt: 'login consent' });
    const back = sentToLogin(await authorizeRequest(t, person.jar, asked));
    // prompt=login is replaced by the time the new sign-in must be at or after; consent stays.
    expect(back.searchParams.get('prompt')).toBe('consent');
    const after = Number(back.searchParams.get('pylon_auth_after'));
    expect(after).toBe(Math.floor(t.clock.now() / 1000));
    const comeBack = () =>
      t.request(`${back.pathname}${back.search}`, person.jar.apply()).then((response) => {
        person.jar.store(response);
        return response;
      });
    // The old session is not enough, however often the browser comes back with it.
    sentToLogin(await comeBack());
    await signInAgain(person.jar, person.email);
    const consent = await comeBack();
    expect(consent.status).toBe(200);
    const code = redirectParams(await decide(t, person.jar, await consent.text(), 'allow')).get('code')!;
    const idToken = await idTokenOf(code, verifier);
    expect(idToken.auth_time).toBeGreaterThanOrEqual(after);
  });

  it('max_age: a recent enough sign-in goes straight through; an older one signs in again', async () => {
    const { verifier, challenge } = pkce();
    const fresh = redirectParams(
      await authorizeRequest(t, person.jar, params(challenge, { max_age: '3600' })),
    );
    const code = fresh.get('code')!;
    expect(code).toMatch(/^pyoc_/);
    const idToken = await idTokenOf(code, verifier);
    expect(Math.floor(t.clock.now() / 1000) - idToken.auth_time).toBeLessThanOrEqual(3600);

    t.clock.advance(120_000);
    const back = sentToLogin(await authorizeRequest(t, person.jar, params(challenge, { max_age: '60' })));
    expect(back.searchParams.has('max_age')).toBe(false);
    expect(back.searchParams.get('pylon_auth_after')).toBe(String(Math.floor(t.clock.now() / 1000)));
    // max_age=0 is prompt=login.
    sentToLogin(await authorizeRequest(t, person.jar, params(challenge, { max_age: '0' })));
  });

  it('a browser without a session signs in once, not round and round', async () => {
    const stranger = new CookieJar();
    const { challenge } = pkce();
    const back = sentToLogin(await authorizeRequest(t, stranger, params(challenge, { prompt: 'login' })));
    expect(back.searchParams.has('prompt')).toBe(false);
    await signInAgain(stranger, person.email);
    const answer = await t.request(`${back.pathname}${back.search}`, stranger.apply());
    expect(redirectParams(answer).get('code')).toMatch(/^pyoc_/);
  });

  it('prompt=none with a sign-in older than max_age answers login_required, never a page', async () => {
    t.clock.advance(120_000);
    const { challenge } = pkce();
    const answer = await authorizeRequest(
      t,
      person.jar,
      params(challenge, { prompt: 'none', max_age: '60' }),
    );
    expect(redirectParams(answer).get('error')).toBe('login_required');
  });

  it('refuses prompt values it does not honour, none with another, and a max_age that is not seconds', async () => {
    const { challenge } = pkce();
    for (const extra of <Record<string, string>[]>[
      { prompt: 'select_account' },
      { prompt: 'none consent' },
      { max_age: '-1' },
      { max_age: '1.5' },
      { max_age: 'soon' },
      { pylon_auth_after: 'x' },
    ]) {
      const answer = redirectParams(await authorizeRequest(t, person.jar, params(challenge, extra)));
      expect(answer.get('error'), JSON.stringify(extra)).toBe('invalid_request');
    }
  });

  it('discovery lists the prompt values', async () => {
    const metadata = await call(t, 'GET', `${BASE}/.well-known/openid-configuration`, { token: null });
    expect(metadata.body.prompt_values_supported).toEqual(['none', 'login', 'consent']);
  });
});
