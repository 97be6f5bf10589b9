import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, hotp, timeStep } from '../../src/features/mfa/totp.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Body = Record<string, unknown> & { error?: { code: string } };
const ADMIN = 'admin-token-for-trusted-devices-0123456789';
const UA = 'Mozilla/5.0 (TrustedDeviceTest)';

async function serverCall(
  t: TestServer,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; cookie?: string } = {},
) {
  const response = await t.request(`/api/auth${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      'user-agent': UA,
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.cookie ? { cookie: options.cookie } : {}),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return {
    status: response.status,
    cookies: response.headers.getSetCookie(),
    body: (await response.json()) as Body,
  };
}

/** `name=value` of the trusted-device cookie a response set, or undefined. */
const trustedCookie = (cookies: string[]) =>
  cookies.find((c) => /^(__Host-)?pylon_trusted_device=/.test(c))?.split(';')[0];

function harness(t: () => TestServer, kind: string) {
  let n = 0;
  const call = (method: string, path: string, options: Parameters<typeof serverCall>[3] = {}) =>
    serverCall(t(), method, path, options);
  const codeFor = (secret: string) => hotp(base32Decode(secret), timeStep(t().clock.now()));
  /** A password account with TOTP on; `verified: false` leaves its address unproven. */
  const enrolled = async ({ verified = true } = {}) => {
    const email = `td${++n}-${kind}@example.com`;
    const password = 'trust this browser please';
    const registered = await call('POST', '/password/register', { body: { email, password } });
    const token = registered.body.token as string;
    if (verified) {
      const sent = await call('POST', '/email/send-verification', { body: {}, token });
      expect(
        (await call('POST', '/email/verify', { body: { code: sent.body.dev_code }, token })).status,
      ).toBe(200);
    }
    const secret = (await call('POST', '/totp/enroll', { token })).body.secret as string;
    await call('POST', '/totp/verify', { body: { code: codeFor(secret) }, token });
    t().clock.advance(30_000);
    return { email, password, secret, token, userId: registered.body.user_id as string };
  };
  const login = (who: { email: string; password: string }, cookie?: string) =>
    call('POST', '/password/login', {
      body: { email: who.email, password: who.password },
      ...(cookie ? { cookie } : {}),
    });
  /** Sign in through the challenge; trusts the browser when asked. */
  const challenge = async (who: { email: string; password: string; secret: string }, trust: boolean) => {
    const first = await login(who);
    expect(first.body.mfa_required).toBe(true);
    const done = await call('POST', '/totp/challenge', {
      body: {
        mfa_token: first.body.mfa_token,
        code: codeFor(who.secret),
        ...(trust ? { trust_device: true } : {}),
      },
    });
    t().clock.advance(30_000);
    return done;
  };
  return { call, enrolled, login, challenge, codeFor };
}

describe.each(testDatabases)('trusted devices on $kind', (database) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
  });
  afterAll(() => t.close());
  const h = harness(() => t, database.kind);

  it('trust_device sets a 30-day HttpOnly cookie that skips the challenge on that device only', async () => {
    const me = await h.enrolled();
    const done = await h.challenge(me, true);
    expect(done.status).toBe(200);
    const setCookie = done.cookies.find((c) => c.startsWith('pylon_trusted_device='))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const expires = new Date(/Expires=([^;]+)/i.exec(setCookie)![1]!).getTime();
    expect(Math.abs(expires - (t.clock.now() - 30_000 + 30 * 24 * 3600_000))).toBeLessThan(2_000);
    const cookie = trustedCookie(done.cookies)!;

    const skipped = await h.login(me, cookie);
    expect(skipped.status).toBe(200);
    expect(skipped.body).toMatchObject({ user_id: me.userId, token: expect.any(String) });
    expect((await h.login(me)).body.mfa_required).toBe(true);
    // A challenge without trust_device sets no cookie.
    expect(trustedCookie((await h.challenge(me, false)).cookies)).toBeUndefined();

    const audit = await t.request('/api/auth/audit/deployment?since=0&limit=1000', {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const entries = (
      (await audit.json()) as {
        entries: Array<{ action: string; actor_id: string; detail?: { method?: string } }>;
      }
    ).entries.filter((e) => e.actor_id === me.userId);
    expect(entries.map((e) => e.action)).toContain('trusted_device.added');
    expect(
      entries.some((e) => e.action === 'auth.sign_in' && e.detail?.method === 'password+trusted_device'),
    ).toBe(true);

    // Only the hash is at rest.
    const token = cookie.split('=')[1]!;
    const stored = JSON.stringify(await t.storage.db.selectFrom('trusted_devices').selectAll().execute());
    expect(stored).not.toContain(token);
  });

  it('the hosted TOTP step offers “Trust this browser”, and ticking it sets the cookie', async () => {
    const me = await h.enrolled();
    const page = (path: string, fields: Record<string, string>, cookie?: string) =>
      t.request(path, {
        method: 'POST',
        headers: {
          origin: t.config.publicURL,
          'content-type': 'application/x-www-form-urlencoded',
          ...(cookie ? { cookie } : {}),
        },
        body: new URLSearchParams(fields).toString(),
      });
    const step = await page('/login/password', { email: me.email, password: me.password });
    const html = await step.text();
    expect(html).toContain('name="trust_device" value="1"');
    const mfaToken = /name="mfa_token" value="([^"]+)"/.exec(html)![1]!;
    const done = await page('/login/totp', {
      mfa_token: mfaToken,
      code: h.codeFor(me.secret),
      trust_device: '1',
      return_to: '/app',
    });
    expect(done.status).toBe(303);
    const cookie = trustedCookie(done.headers.getSetCookie());
    expect(cookie).toBeDefined();
    t.clock.advance(30_000);
    // The trusted browser's next password sign-in on the page goes straight through.
    const again = await page(
      '/login/password',
      { email: me.email, password: me.password, return_to: '/app' },
      cookie,
    );
    expect(again.status).toBe(303);
  });

  it("a trusted-device cookie from another user skips nobody's second factor", async () => {
    const alice = await h.enrolled();
    const mallory = await h.enrolled();
    const cookie = trustedCookie((await h.challenge(mallory, true)).cookies)!;
    const attempt = await h.login(alice, cookie);
    expect(attempt.body).toMatchObject({ mfa_required: true });
    expect(attempt.body.token).toBeUndefined();
    // A forged or mangled token is no better.
    expect((await h.login(alice, 'pylon_trusted_device=pytd_00')).body.mfa_required).toBe(true);
    const mangled = `${cookie.slice(0, -1)}${cookie.endsWith('0') ? '1' : '0'}`;
    expect((await h.login(mallory, mangled)).body.mfa_required).toBe(true);
    // And the owner's still works.
    expect((await h.login(mallory, cookie)).status).toBe(200);
  });

  it('lists devices, and forgets one or all (never another user’s)', async () => {
    const me = await h.enrolled();
    const other = await h.enrolled();
    const first = trustedCookie((await h.challenge(me, true)).cookies)!;
    const second = trustedCookie((await h.challenge(me, true)).cookies)!;
    trustedCookie((await h.challenge(other, true)).cookies);
    const listed = await h.call('GET', '/trusted-devices', { token: me.token });
    const devices = listed.body.devices as Array<{ id: string; label: string; expires_at: number }>;
    expect(devices).toHaveLength(2);
    expect(devices[0]).toMatchObject({ label: UA, last_used_at: null });
    const otherDevice = (
      (await h.call('GET', '/trusted-devices', { token: other.token })).body.devices as Array<{ id: string }>
    )[0]!;
    expect(
      (await h.call('DELETE', `/trusted-devices/${otherDevice.id}`, { token: me.token })).body.error?.code,
    ).toBe('TRUSTED_DEVICE_NOT_FOUND');
    expect((await h.call('DELETE', `/trusted-devices/${devices[0]!.id}`, { token: me.token })).body).toEqual({
      revoked_count: 1,
    });
    expect((await h.login(me, first)).body.mfa_required).toBe(true);
    expect((await h.login(me, second)).status).toBe(200);
    expect((await h.call('DELETE', '/trusted-devices', { token: me.token })).body).toEqual({
      revoked_count: 1,
    });
    expect((await h.login(me, second)).body.mfa_required).toBe(true);
    // The other user's device was untouched.
    expect((await h.call('GET', '/trusted-devices', { token: other.token })).body.devices).toHaveLength(1);
    expect((await h.call('GET', '/trusted-devices')).body.error?.code).toBe('UNAUTHORIZED');
  });

  it('expires after 30 days', async () => {
    const me = await h.enrolled();
    const cookie = trustedCookie((await h.challenge(me, true)).cookies)!;
    t.clock.advance(30 * 24 * 3600_000);
    expect((await h.login(me, cookie)).body.mfa_required).toBe(true);
  });

  it('is forgotten when the password changes and when TOTP is turned off', async () => {
    const me = await h.enrolled();
    const cookie = trustedCookie((await h.challenge(me, true)).cookies)!;
    const session = (await h.login(me, cookie)).body.token as string;
    const changed = await h.call('POST', '/password/change', {
      body: { currentPassword: me.password, newPassword: 'a brand new password' },
      token: session,
    });
    expect(changed.status).toBe(200);
    const next = { ...me, password: 'a brand new password' };
    expect((await h.login(next, cookie)).body.mfa_required).toBe(true);

    const again = trustedCookie((await h.challenge(next, true)).cookies)!;
    expect((await h.login(next, again)).status).toBe(200);
    expect(
      (await h.call('POST', '/totp/disable', { body: { code: h.codeFor(me.secret) }, token: session }))
        .status,
    ).toBe(200);
    expect(
      await t.storage.db.selectFrom('trusted_devices').where('user_id', '=', me.userId).selectAll().execute(),
    ).toEqual([]);
  });

  it('is dropped by the first proof of the address', async () => {
    const early = await h.enrolled({ verified: false });
    trustedCookie((await h.challenge(early, true)).cookies);
    const sent = await h.call('POST', '/magic/send', { body: { email: early.email } });
    await h.call('POST', '/magic/verify', { body: { email: early.email, code: sent.body.dev_code } });
    expect(
      await t.storage.db
        .selectFrom('trusted_devices')
        .where('user_id', '=', early.userId)
        .selectAll()
        .execute(),
    ).toEqual([]);
  });
});

describe.each(testDatabases)('trusted-device cookie where Secure on $kind', (database) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_COOKIE_SECURE: 'true' } });
  });
  afterAll(() => t.close());
  const h = harness(() => t, `secure-${database.kind}`);

  it('is __Host-prefixed: Secure, Path=/, no Domain', async () => {
    const me = await h.enrolled();
    const done = await h.challenge(me, true);
    const setCookie = done.cookies.find((c) => c.startsWith('__Host-pylon_trusted_device='))!;
    expect(setCookie).toMatch(/Secure/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Domain=/i);
    expect((await h.login(me, trustedCookie(done.cookies))).status).toBe(200);
    // The unprefixed name, which a subdomain or plain http could plant, is not read.
    const token = trustedCookie(done.cookies)!.split('=')[1]!;
    expect((await h.login(me, `pylon_trusted_device=${token}`)).body.mfa_required).toBe(true);
  });
});
