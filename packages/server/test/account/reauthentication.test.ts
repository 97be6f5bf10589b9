import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, hotp, timeStep } from '../../src/features/mfa/totp.js';
import { testDatabases } from '../support/databases.js';
import { csrfOf, type PageBrowser, signedInBrowser, visibleText } from '../support/page-browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Body = Record<string, unknown> & { error?: { code: string; message: string } };
const PASSWORD = 'a password to sign in again with';
/** How recent a sign-in must be (docs/API.md "Re-authentication"). */
const REAUTH_WINDOW_MS = 5 * 60_000;

/**
 * The steps that add a way into an account need a sign-in from the last five minutes on the
 * session that asks (docs/API.md "Re-authentication"): a session taken for a moment must not be
 * turned into a passkey, TOTP, backup codes, an API key or a new address of the taker's own.
 */
describe.each(testDatabases)('re-authentication on $kind', (database) => {
  let t: TestServer;
  let n = 0;
  const call = async (path: string, token: string, body?: unknown, method = 'POST') => {
    const response = await t.request(`/api/auth${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };
  const anonymous = async (path: string, body: unknown) => {
    const response = await t.request(`/api/auth${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as Body;
  };
  const register = async () => {
    const email = `reauth${++n}-${database.kind}@example.com`;
    const body = await anonymous('/password/register', { email, password: PASSWORD });
    return { email, token: body.token as string, userId: body.user_id as string };
  };
  const signInAgain = async (email: string) =>
    (await anonymous('/password/login', { email, password: PASSWORD })).token as string;
  const stale = () => t.clock.advance(REAUTH_WINDOW_MS + 1);
  const refused = { status: 403, body: { error: { code: 'REAUTH_REQUIRED' } } };

  beforeAll(async () => {
    t = await startTestServer(database);
  });
  afterAll(() => t.close());

  it('refuses a passkey, TOTP, an API key and a new address to a session signed in over 5 minutes ago', async () => {
    const { email, token, userId } = await register();
    stale();
    expect(await call('/passkeys/register/options', token)).toMatchObject(refused);
    expect(await call('/totp/enroll', token)).toMatchObject(refused);
    expect(await call('/api-keys', token, { name: 'taken' })).toMatchObject(refused);
    const mailed = t.mail.length;
    expect(await call('/email/change', token, { newEmail: `taken-${email}` })).toMatchObject(refused);
    // Nothing was made or sent.
    expect(t.mail.length).toBe(mailed);
    expect((await call('/api-keys', token, undefined, 'GET')).body).toEqual([]);
    expect(
      await t.storage.db.selectFrom('totp_factors').selectAll().where('user_id', '=', userId).execute(),
    ).toEqual([]);

    // A refresh keeps the sign-in's time: still refused.
    const refreshed = (await call('/refresh', token)).body.token as string;
    expect(await call('/api-keys', refreshed, { name: 'taken' })).toMatchObject(refused);

    // Signing in again makes a session that may, for five minutes.
    const fresh = await signInAgain(email);
    expect((await call('/passkeys/register/options', fresh)).status).toBe(200);
    expect((await call('/api-keys', fresh, { name: 'mine' })).status).toBe(201);
    expect((await call('/email/change', fresh, { newEmail: `new-${email}` })).status).toBe(200);
    expect((await call('/totp/enroll', fresh)).status).toBe(200);
    t.clock.advance(REAUTH_WINDOW_MS);
    expect((await call('/api-keys', fresh, { name: 'at the edge' })).status).toBe(201);
    t.clock.advance(1);
    expect(await call('/api-keys', fresh, { name: 'past it' })).toMatchObject(refused);
  });

  it('refuses new backup codes to an old sign-in, and audits the ones it makes', async () => {
    const { email, token, userId } = await register();
    const { secret } = (await call('/totp/enroll', token)).body as { secret: string };
    const code = (offset = 0) => hotp(base32Decode(secret), timeStep(t.clock.now()) + offset);
    expect((await call('/totp/verify', token, { code: code() })).body.enabled).toBe(true);
    stale();
    expect(await call('/totp/backup-codes/regenerate', token)).toMatchObject(refused);

    const challenge = (await anonymous('/password/login', { email, password: PASSWORD })).mfa_token;
    const signedIn = await anonymous('/totp/challenge', { mfa_token: challenge, code: code() });
    const regenerated = await call('/totp/backup-codes/regenerate', signedIn.token as string);
    expect(regenerated.status).toBe(200);
    const entries = await t.storage.db
      .selectFrom('audit_events')
      .select(['action', 'actor_id', 'target', 'detail'])
      .where('action', '=', 'totp.backup_codes_regenerated')
      .where('actor_id', '=', userId)
      .execute();
    expect(entries).toEqual([
      { action: 'totp.backup_codes_regenerated', actor_id: userId, target: userId, detail: null },
    ]);
  });

  it('a device login is no sign-in: its session cannot add a way in, however fresh the approval', async () => {
    const { email } = await register();
    const approver = await signInAgain(email);
    const started = (await (
      await t.request('/device/init', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client: 'pylon-cli/test', org_id: 'default' }),
      })
    ).json()) as { device_code: string; user_code: string };
    const approved = await t.request('/device/complete', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${approver}` },
      body: JSON.stringify({ user_code: started.user_code, approve: true }),
    });
    expect(approved.status).toBe(200);
    const polled = (await (
      await t.request(`/device/poll?device_code=${encodeURIComponent(started.device_code)}`)
    ).json()) as { status: string; session_jwt: string };
    expect(polled.status).toBe('authorised');
    const cli = polled.session_jwt;
    // The device session works as a session, and says it carries no sign-in.
    const session = await call('/session', cli, undefined, 'GET');
    expect(session.body.session).toMatchObject({ kind: 'cli', authenticated_at: null });
    expect(await call('/api-keys', cli, { name: 'from the terminal' })).toMatchObject(refused);
    expect(await call('/passkeys/register/options', cli)).toMatchObject(refused);
    // The approver's own recent sign-in still may.
    expect((await call('/api-keys', approver, { name: 'from the browser' })).status).toBe(201);
  });

  describe('on the account pages', () => {
    /** The page's form, posted with its CSRF token. */
    const submit = async (
      b: PageBrowser,
      page: string,
      action: string,
      fields: Record<string, string> = {},
    ) => {
      const csrf = csrfOf(await (await b.get(page)).text());
      return b.post(action, { csrf, ...fields });
    };
    /** Sign in again in the same browser, from the link the refusal gave: back to `page`. */
    const followSignInAgain = async (b: PageBrowser, refusal: string, email: string, page: string) => {
      const link = /href="([^"]*\/login\?return_to=[^"]*)"[^>]*>Sign in again</.exec(refusal)?.[1];
      expect(link).toBe(`/login?return_to=${encodeURIComponent(page)}`);
      expect((await b.get(link!)).status).toBe(200);
      await b.post('/login/code', { email, return_to: page });
      const code = /\n\s+(\d{6})\n/.exec(t.mail.at(-1)!.text)![1]!;
      const back = await b.post('/login/verify', { email, code, return_to: page });
      expect([back.status, back.headers.get('location')]).toEqual([303, page]);
    };
    const pageEmail = () => `reauth-page${++n}-${database.kind}@example.com`;

    it('a new API key: a readable refusal with a way to sign in again and come back, then it works', async () => {
      const email = pageEmail();
      const b = await signedInBrowser(t, email);
      stale();
      const answer = await submit(b, '/account/api-keys', '/account/api-keys', { name: 'late key' });
      expect(answer.status).toBe(403);
      const page = await answer.text();
      expect(visibleText(page)).toContain('this needs a sign-in from the last 5 minutes');
      expect(visibleText(page)).toContain('API keys');
      await followSignInAgain(b, page, email, '/account/api-keys');
      const created = await submit(b, '/account/api-keys', '/account/api-keys', { name: 'late key' });
      expect(created.status).toBe(200);
      expect(await created.text()).toMatch(/pk\.key_/);
    });

    it('two-factor set-up and a new address ask for a recent sign-in the same way', async () => {
      const email = pageEmail();
      const b = await signedInBrowser(t, email);
      stale();
      const enrol = await submit(b, '/account/security', '/account/totp/enroll');
      expect(enrol.status).toBe(403);
      const enrolPage = await enrol.text();
      expect(enrolPage).not.toContain('Setup key');
      const address = await submit(b, '/account', '/account/email', { email: `moved-${email}` });
      expect(address.status).toBe(403);
      expect(visibleText(await address.text())).toContain('Sign in again');
      await followSignInAgain(b, enrolPage, email, '/account/security');
      const enrolled = await submit(b, '/account/security', '/account/totp/enroll');
      expect(enrolled.status).toBe(200);
      expect(await enrolled.text()).toContain('Setup key');
    });

    it('the security page says when the second factor is asked for, and when not', async () => {
      const email = pageEmail();
      const b = await signedInBrowser(t, email);
      const page = await (await submit(b, '/account/security', '/account/totp/enroll')).text();
      const secret = /aria-label="Setup key">([A-Z2-7]+)</.exec(page)![1]!;
      const code = hotp(base32Decode(secret), timeStep(t.clock.now()));
      await submit(b, '/account/security', '/account/totp/confirm', { code });
      const text = visibleText(await (await b.get('/account/security')).text());
      expect(text).not.toContain('Signing in asks for a code from your authenticator app.');
      expect(text).toContain('A passkey does not ask for one');
      expect(text).toContain('nor does a browser you chose to trust');
    });
  });
});
