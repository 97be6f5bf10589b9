import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, hotp, timeStep } from '../../src/features/mfa/totp.js';
import { CookieJar } from '../support/cookie-jar.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Body = Record<string, unknown> & { error?: { code: string } };
const ADMIN = 'admin-token-for-takeover-tests-0123456789';

/**
 * Account pre-hijacking (an attacker registers the victim's address before the victim does) and
 * the smaller takeover paths, each played end to end over HTTP by an attacker and a victim.
 */
describe.each(testDatabases)('account takeover defences on $kind', (database) => {
  let t: TestServer;
  let n = 0;
  const fresh = () => `victim${++n}-${database.kind}@example.com`;
  const call = async (path: string, body?: unknown, token?: string) => {
    const response = await t.request(`/api/auth${path}`, {
      method: body === undefined && !path.includes('/') ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };
  const me = async (token: string) => {
    const response = await t.request('/api/auth/me', { headers: { authorization: `Bearer ${token}` } });
    return (await response.json()) as Body;
  };
  const codeFor = (secret: string) => hotp(base32Decode(secret), timeStep(t.clock.now()));

  /** The attacker registers the address with a password, adds TOTP and an API key. */
  const squat = async (email: string) => {
    const password = 'attacker password!';
    const registered = await call('/password/register', { email, password });
    expect(registered.status).toBe(200);
    const token = registered.body.token as string;
    const enrolment = await call('/totp/enroll', {}, token);
    expect(
      (await call('/totp/verify', { code: codeFor(enrolment.body.secret as string) }, token)).status,
    ).toBe(200);
    const key = await call('/api-keys', { name: 'persistence' }, token);
    expect(key.status).toBe(201);
    t.clock.advance(60_000);
    return { password, token, userId: registered.body.user_id as string, apiKey: key.body.key as string };
  };
  /** What the attacker still holds: a session, the password, the API key. */
  const attackerKeeps = async (email: string, attacker: Awaited<ReturnType<typeof squat>>) => ({
    session: (await me(attacker.token)).userId,
    password: (await call('/password/login', { email, password: attacker.password })).body.error?.code,
    apiKey: (await t.request('/api/auth/me', { headers: { authorization: `Bearer ${attacker.apiKey}` } }))
      .status,
  });
  const magicSignIn = async (email: string) => {
    t.clock.advance(61_000);
    const sent = await call('/magic/send', { email });
    return call('/magic/verify', { email, code: sent.body.dev_code });
  };

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
  });
  afterAll(() => t.close());

  it('a magic code proves the address: the earlier registrant loses sessions, password, TOTP and keys', async () => {
    const email = fresh();
    const attacker = await squat(email);

    const victim = await magicSignIn(email);
    // A session straight away: the attacker's TOTP no longer stands between the owner and the account.
    expect(victim.status).toBe(200);
    expect(victim.body.mfa_required).toBeUndefined();
    expect(victim.body.user_id).toBe(attacker.userId);
    expect(await me(victim.body.token as string)).toMatchObject({ email, emailVerified: true });

    expect(await attackerKeeps(email, attacker)).toEqual({
      session: null,
      password: 'INVALID_CREDENTIALS',
      apiKey: 401,
    });
    const audit = await t.request('/api/auth/audit/deployment?action=user.email_verified&limit=1000', {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const { entries } = (await audit.json()) as { entries: Body[] };
    const proof = entries.find((entry) => entry.target === attacker.userId);
    expect(proof?.detail).toEqual({
      method: 'magic_code',
      revoked_sessions: 1,
      dropped_credentials: ['password', 'totp', 'api_keys'],
    });
  });

  it('a granted address gives nothing on the RBAC surface until it is proven', async () => {
    const email = fresh();
    const granted = await t.request('/roles', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ email, app_id: 'pylon', archetype: 'pylon-admin' }),
    });
    expect(granted.status).toBe(200);
    const squatter = await call('/password/register', { email, password: 'squatting the grant' });
    const rbac = (method: string, path: string, token: string, body?: unknown) =>
      t.request(path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    for (const [method, path, body] of [
      ['GET', '/apps', undefined],
      ['GET', '/whoami', undefined],
      ['POST', '/token', { app_id: 'pylon' }],
    ] as const) {
      const refused = await rbac(method, path, squatter.body.token as string, body);
      expect(refused.status, path).toBe(403);
      expect(((await refused.json()) as { error: string }).error).toBe('email_not_verified');
    }
    // Once the owner proves the address (and the squatter is gone), the grant is theirs.
    const owner = await magicSignIn(email);
    expect((await rbac('GET', '/apps', owner.body.token as string)).status).toBe(200);
  });

  it('a later proof changes nothing: the owner’s own sessions and credentials stay', async () => {
    const email = fresh();
    const first = await magicSignIn(email);
    const password = 'the owner sets this later';
    expect((await call('/password/register', { email, password })).body.error?.code).toBe('EMAIL_TAKEN');
    const second = await magicSignIn(email);
    expect(second.status).toBe(200);
    expect((await me(first.body.token as string)).userId).toBe(first.body.user_id);
  });

  it('a password reset proves the address: the new password stays, everything earlier goes', async () => {
    const email = fresh();
    const attacker = await squat(email);
    t.clock.advance(61_000);
    const before = t.mail.length;
    await call('/password/reset/request', { email });
    await t.server.idle();
    const mail = t.mail.slice(before).find((message) => message.to === email);
    const resetToken = /\n\s+([A-Za-z0-9_-]{43})\n/.exec(mail?.text ?? '')?.[1];
    expect(resetToken).toBeDefined();
    const done = await call('/password/reset/complete', {
      token: resetToken,
      newPassword: 'the owner’s own!',
    });
    expect(done.status).toBe(200);

    expect(await attackerKeeps(email, attacker)).toEqual({
      session: null,
      password: 'INVALID_CREDENTIALS',
      apiKey: 401,
    });
    const owner = await call('/password/login', { email, password: 'the owner’s own!' });
    expect(owner.status).toBe(200);
    expect(owner.body.mfa_required).toBeUndefined();
  });

  it('verifying from the account’s own session keeps its credentials and that session', async () => {
    const email = fresh();
    const password = 'my own password!!';
    const registered = await call('/password/register', { email, password });
    const token = registered.body.token as string;
    const otherDevice = (await call('/password/login', { email, password })).body.token as string;
    const sent = await call('/email/send-verification', {}, token);
    const verified = await call('/email/verify', { code: sent.body.dev_code }, token);
    expect(verified.status).toBe(200);
    expect((await me(token)).emailVerified).toBe(true);
    expect((await me(otherDevice)).userId).toBeNull();
    expect((await call('/password/login', { email, password })).status).toBe(200);
  });

  it('registration is budgeted per IP, so EMAIL_TAKEN cannot be used to sweep for accounts', async () => {
    const limited = await startTestServer(database, {
      env: { PYLON_RATE_LIMIT_REGISTRATIONS_PER_IP_HOUR: '3' },
    });
    try {
      const register = (email: string) =>
        limited.request('/api/auth/password/register', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: 'probing password' }),
        });
      for (let i = 0; i < 3; i++) expect((await register(`probe${i}@example.com`)).status).toBe(200);
      const refused = await register('probe0@example.com');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).not.toBeNull();
    } finally {
      await limited.close();
    }
  });

  it.each([
    ['pylon_session', {}],
    ['acme_session', { PYLON_COOKIE_NAME: 'acme_session' }],
  ])(
    'production names the session cookie __Host-%s and reads no unprefixed one, which anyone could plant',
    async (name, extra) => {
      const production = await startTestServer(database, {
        env: {
          PYLON_ENV: 'production',
          PYLON_PUBLIC_URL: 'https://auth.example.com',
          PYLON_ADMIN_TOKEN: 'cd'.repeat(32),
          ...extra,
        },
      });
      try {
        const email = 'cookie@example.com';
        const sent = await production.request('/api/auth/magic/send', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email }),
        });
        expect(sent.status).toBe(200);
        await production.server.idle();
        const code = /\b(\d{6})\b/.exec(production.mail.at(-1)?.text ?? '')?.[1];
        const signedIn = await production.request('/api/auth/magic/verify', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, code }),
        });
        const setCookie = signedIn.headers.get('set-cookie') ?? '';
        expect(setCookie).toMatch(new RegExp(`^__Host-${name}=pylon_[0-9a-f]{64};`));
        expect(setCookie).toContain('Secure');
        expect(setCookie).not.toContain('Domain=');
        const jar = new CookieJar();
        jar.store(signedIn);
        const token = jar.get(`__Host-${name}`)!;
        const who = await production.request('/api/auth/me', {
          headers: { cookie: `__Host-${name}=${token}` },
        });
        expect(((await who.json()) as Body).email).toBe(email);
        // A sibling subdomain or plain http can set the unprefixed name; it signs nobody in.
        const planted = await production.request('/api/auth/me', { headers: { cookie: `${name}=${token}` } });
        expect(((await planted.json()) as Body).email ?? null).toBeNull();
        const page = await production.request('/account', { headers: { cookie: `${name}=${token}` } });
        expect(page.status).not.toBe(200);
      } finally {
        await production.close();
      }
    },
  );
});
