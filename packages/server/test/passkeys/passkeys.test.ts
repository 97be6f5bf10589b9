import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, hotp, timeStep } from '../../src/features/mfa/totp.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { SoftAuthenticator } from './soft-authenticator.js';

type Body = Record<string, unknown> & { error?: { code: string } };
type Options = { challenge: string; user: { id: string }; allowCredentials?: Array<{ id: string }> };
const ADMIN = 'admin-token-for-passkey-tests-0123456789';

describe.each(testDatabases)('passkeys on $kind', (database) => {
  let t: TestServer;
  let n = 0;
  const call = async (
    method: string,
    path: string,
    init: { token?: string; cookie?: string; body?: unknown } = {},
  ) => {
    const response = await t.request(path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.cookie ? { cookie: init.cookie } : {}),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const flow = (response.headers.get('set-cookie') ?? '').match(/((?:__Host-)?pylon_passkey_flow=[^;]+)/);
    return { status: response.status, body: (await response.json()) as Body, flowCookie: flow?.[1] };
  };
  const code = (body: Body) => body.error?.code;
  const rp = () => new URL(t.config.publicURL);
  const authenticator = () => new SoftAuthenticator(rp().hostname, rp().origin);
  const person = async () => {
    const email = `passkey${++n}-${database.kind}@example.com`;
    t.clock.advance(61_000);
    const sent = await call('POST', '/api/auth/magic/send', { body: { email } });
    const verified = await call('POST', '/api/auth/magic/verify', {
      body: { email, code: sent.body.dev_code },
    });
    return { email, token: verified.body.token as string, userId: verified.body.user_id as string };
  };
  const registerWith = async (token: string, device: SoftAuthenticator, name?: string) => {
    const started = await call('POST', '/api/auth/passkeys/register/options', { token });
    expect(started.status).toBe(200);
    const options = started.body.options as Options;
    return call('POST', '/api/auth/passkeys/register/verify', {
      token,
      body: { credential: device.register(options), ...(name ? { name } : {}) },
    });
  };
  const loginOptions = async (email?: string) => {
    const started = await call('POST', '/api/auth/passkeys/login/options', { body: email ? { email } : {} });
    expect(started.status).toBe(200);
    return { options: started.body.options as Options, cookie: started.flowCookie! };
  };
  const signInWith = async (
    device: SoftAuthenticator,
    tweaks: Parameters<SoftAuthenticator['assert']>[1] = {},
  ) => {
    const { options, cookie } = await loginOptions();
    return call('POST', '/api/auth/passkeys/login/verify', {
      cookie,
      body: { credential: device.assert(options, tweaks) },
    });
  };
  const auditOf = async (actorId: string) => {
    const response = await call('GET', '/api/auth/audit/deployment?since=0&limit=1000', { token: ADMIN });
    const entries = response.body.entries as Array<{
      action: string;
      actor_id: string;
      detail?: Record<string, unknown>;
    }>;
    return entries.filter((e) => e.actor_id === actorId);
  };

  beforeAll(async () => {
    t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
  });
  afterAll(() => t.close());

  it('registers a passkey and signs in with it (discoverable), audited', async () => {
    const owner = await person();
    const device = authenticator();
    const registered = await registerWith(owner.token, device, 'Laptop');
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({
      id: expect.stringMatching(/^pkey_/),
      name: 'Laptop',
      transports: ['internal'],
      last_used_at: null,
    });

    const signedIn = await signInWith(device);
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user_id).toBe(owner.userId);
    const me = await call('GET', '/api/auth/me', { token: signedIn.body.token as string });
    expect(me.status).toBe(200);

    const listed = await call('GET', '/api/auth/passkeys', { token: owner.token });
    expect(listed.body).toEqual([
      expect.objectContaining({ id: registered.body.id, name: 'Laptop', last_used_at: expect.any(Number) }),
    ]);
    const audit = await auditOf(owner.userId);
    expect(audit.find((e) => e.action === 'passkey.registered')?.detail).toMatchObject({
      passkey_id: registered.body.id,
    });
    expect(audit.filter((e) => e.action === 'auth.sign_in').map((e) => e.detail?.method)).toContain(
      'passkey',
    );
  });

  it('signs in by email; the options say nothing of the account: not whether it exists, nor how many passkeys it has', async () => {
    const owner = await person();
    const device = authenticator();
    await registerWith(owner.token, device);
    await registerWith(owner.token, authenticator());
    const { options, cookie } = await loginOptions(owner.email);
    expect(options.allowCredentials).toBeUndefined();
    const signedIn = await call('POST', '/api/auth/passkeys/login/verify', {
      cookie,
      body: { credential: device.assert(options) },
    });
    expect(signedIn.body.user_id).toBe(owner.userId);

    const without = await person();
    const shape = ({ challenge: _challenge, ...rest }: Options) => rest;
    for (const email of [without.email, 'nobody-passkey@example.com']) {
      expect(shape((await loginOptions(email)).options)).toEqual(shape(options));
    }
  });

  it('refuses another account’s passkey answering a challenge asked for by email', async () => {
    const owner = await person();
    const other = await person();
    const device = authenticator();
    await registerWith(other.token, device);
    const { options, cookie } = await loginOptions(owner.email);
    const refused = await call('POST', '/api/auth/passkeys/login/verify', {
      cookie,
      body: { credential: device.assert(options) },
    });
    expect(refused.status).toBe(401);
    expect(code(refused.body)).toBe('INVALID_PASSKEY');
  });

  it('refuses a replayed assertion: its challenge was used', async () => {
    const owner = await person();
    const device = authenticator();
    await registerWith(owner.token, device);
    const { options, cookie } = await loginOptions();
    const body = { credential: device.assert(options) };
    expect((await call('POST', '/api/auth/passkeys/login/verify', { cookie, body })).status).toBe(200);
    const replayed = await call('POST', '/api/auth/passkeys/login/verify', { cookie, body });
    expect(replayed.status).toBe(400);
    expect(code(replayed.body)).toBe('PASSKEY_CHALLENGE_EXPIRED');
  });

  it('refuses a counter going backwards, or not moving', async () => {
    const owner = await person();
    const device = authenticator();
    await registerWith(owner.token, device);
    expect((await signInWith(device, { counter: 5 })).status).toBe(200);
    const backwards = await signInWith(device, { counter: 3 });
    expect(backwards.status).toBe(401);
    expect(code(backwards.body)).toBe('INVALID_PASSKEY');
    expect(code((await signInWith(device, { counter: 5 })).body)).toBe('INVALID_PASSKEY');
    expect((await signInWith(device, { counter: 6 })).status).toBe(200);
  });

  it('audits a refused assertion, with the passkey’s account as target for its owner to see', async () => {
    const owner = await person();
    const device = authenticator();
    const id = (await registerWith(owner.token, device)).body.id as string;
    expect((await signInWith(device, { counter: 5 })).status).toBe(200);
    expect(code((await signInWith(device, { counter: 3 })).body)).toBe('INVALID_PASSKEY');
    const own = await call('GET', '/api/auth/audit?limit=1000', { token: owner.token });
    const entries = own.body.entries as Array<{ action: string; actor: string; target: string | null }>;
    expect(entries.filter((e) => e.action === 'auth.sign_in_failed')).toEqual([
      expect.objectContaining({
        actor: 'anonymous',
        target: owner.userId,
        detail: { method: 'passkey', passkey_id: id },
      }),
    ]);
  });

  it('accepts an authenticator without a counter (always zero)', async () => {
    const owner = await person();
    const device = authenticator();
    await registerWith(owner.token, device);
    expect((await signInWith(device, { counter: 0 })).status).toBe(200);
    expect((await signInWith(device, { counter: 0 })).status).toBe(200);
  });

  it('refuses a wrong origin, a wrong RP ID and a missing user verification', async () => {
    const owner = await person();
    const device = authenticator();
    const started = await call('POST', '/api/auth/passkeys/register/options', { token: owner.token });
    const wrongOrigin = await call('POST', '/api/auth/passkeys/register/verify', {
      token: owner.token,
      body: {
        credential: device.register(started.body.options as Options, { origin: 'https://evil.example' }),
      },
    });
    expect(wrongOrigin.status).toBe(400);
    expect(code(wrongOrigin.body)).toBe('INVALID_PASSKEY_REGISTRATION');
    const noUV = await call('POST', '/api/auth/passkeys/register/options', { token: owner.token });
    const unverified = await call('POST', '/api/auth/passkeys/register/verify', {
      token: owner.token,
      body: { credential: device.register(noUV.body.options as Options, { userVerified: false }) },
    });
    expect(code(unverified.body)).toBe('INVALID_PASSKEY_REGISTRATION');

    expect((await registerWith(owner.token, device)).status).toBe(201);
    for (const tweaks of [
      { origin: 'https://evil.example' },
      { rpID: 'evil.example' },
      { userVerified: false },
    ]) {
      const refused = await signInWith(device, tweaks);
      expect(refused.status).toBe(401);
      expect(code(refused.body)).toBe('INVALID_PASSKEY');
    }
  });

  it('binds the sign-in challenge to the browser, and expires it', async () => {
    const owner = await person();
    const device = authenticator();
    await registerWith(owner.token, device);
    const { options } = await loginOptions();
    const other = await loginOptions();
    const elsewhere = await call('POST', '/api/auth/passkeys/login/verify', {
      cookie: other.cookie,
      body: { credential: device.assert(options) },
    });
    expect(code(elsewhere.body)).toBe('PASSKEY_CHALLENGE_EXPIRED');
    const noCookie = await call('POST', '/api/auth/passkeys/login/verify', {
      body: { credential: device.assert(options) },
    });
    expect(code(noCookie.body)).toBe('PASSKEY_CHALLENGE_EXPIRED');

    const late = await loginOptions();
    t.clock.advance(301_000);
    const expired = await call('POST', '/api/auth/passkeys/login/verify', {
      cookie: late.cookie,
      body: { credential: device.assert(late.options) },
    });
    expect(code(expired.body)).toBe('PASSKEY_CHALLENGE_EXPIRED');
  });

  it('binds the registration challenge to the session that asked', async () => {
    const owner = await person();
    const second = await call('POST', '/api/auth/magic/send', { body: { email: owner.email } });
    t.clock.advance(61_000);
    const again = await call('POST', '/api/auth/magic/send', { body: { email: owner.email } });
    const otherSession = await call('POST', '/api/auth/magic/verify', {
      body: { email: owner.email, code: again.body.dev_code ?? second.body.dev_code },
    });
    const device = authenticator();
    const started = await call('POST', '/api/auth/passkeys/register/options', { token: owner.token });
    const refused = await call('POST', '/api/auth/passkeys/register/verify', {
      token: otherSession.body.token as string,
      body: { credential: device.register(started.body.options as Options) },
    });
    expect(code(refused.body)).toBe('PASSKEY_CHALLENGE_EXPIRED');
    expect(code((await call('POST', '/api/auth/passkeys/register/options', {})).body)).toBe('UNAUTHORIZED');
  });

  it('refuses a credential registered twice', async () => {
    const owner = await person();
    const device = authenticator();
    expect((await registerWith(owner.token, device)).status).toBe(201);
    const twice = await registerWith(owner.token, device);
    expect(twice.status).toBe(409);
    expect(code(twice.body)).toBe('PASSKEY_ALREADY_REGISTERED');
  });

  it('renames and revokes only the caller’s own passkeys; a revoked passkey no longer signs in', async () => {
    const owner = await person();
    const stranger = await person();
    const device = authenticator();
    const id = (await registerWith(owner.token, device)).body.id as string;
    const renamed = await call('PATCH', `/api/auth/passkeys/${id}`, {
      token: owner.token,
      body: { name: 'Phone' },
    });
    expect(renamed.body).toMatchObject({ id, name: 'Phone' });
    const notTheirs = await call('PATCH', `/api/auth/passkeys/${id}`, {
      token: stranger.token,
      body: { name: 'x' },
    });
    expect(notTheirs.status).toBe(404);
    expect(code(notTheirs.body)).toBe('PASSKEY_NOT_FOUND');
    expect(code((await call('DELETE', `/api/auth/passkeys/${id}`, { token: stranger.token })).body)).toBe(
      'PASSKEY_NOT_FOUND',
    );
    expect((await call('DELETE', `/api/auth/passkeys/${id}`, { token: owner.token })).body).toEqual({
      id,
      removed: true,
    });
    expect(code((await signInWith(device)).body)).toBe('INVALID_PASSKEY');
    expect((await auditOf(owner.userId)).map((e) => e.action)).toEqual(
      expect.arrayContaining(['passkey.renamed', 'passkey.removed']),
    );
  });

  it('signs in without a TOTP challenge: the passkey verified the user', async () => {
    const owner = await person();
    const device = authenticator();
    await registerWith(owner.token, device);
    const enrolment = await call('POST', '/api/auth/totp/enroll', { token: owner.token });
    const secret = enrolment.body.secret as string;
    const confirmed = await call('POST', '/api/auth/totp/verify', {
      token: owner.token,
      body: { code: hotp(base32Decode(secret), timeStep(t.clock.now())) },
    });
    expect(confirmed.status).toBe(200);
    // The same account's emailed-code sign-in now ends in a TOTP challenge; the passkey's does not.
    t.clock.advance(61_000);
    const sent = await call('POST', '/api/auth/magic/send', { body: { email: owner.email } });
    const byCode = await call('POST', '/api/auth/magic/verify', {
      body: { email: owner.email, code: sent.body.dev_code },
    });
    expect(byCode.body).toMatchObject({ mfa_required: true });
    const signedIn = await signInWith(device);
    expect(signedIn.body).toMatchObject({ user_id: owner.userId, token: expect.any(String) });
  });

  it('drops passkeys set before the address was proven, at its first proof', async () => {
    const email = `unproven${++n}-${database.kind}@example.com`;
    const registered = await call('POST', '/api/auth/password/register', {
      body: { email, password: 'correct horse battery staple' },
    });
    const device = authenticator();
    expect((await registerWith(registered.body.token as string, device)).status).toBe(201);
    t.clock.advance(61_000);
    const sent = await call('POST', '/api/auth/magic/send', { body: { email } });
    const proven = await call('POST', '/api/auth/magic/verify', {
      body: { email, code: sent.body.dev_code },
    });
    expect(proven.status).toBe(200);
    expect((await call('GET', '/api/auth/passkeys', { token: proven.body.token as string })).body).toEqual(
      [],
    );
    expect(code((await signInWith(device)).body)).toBe('INVALID_PASSKEY');
    const proof = (await auditOf(proven.body.user_id as string)).find(
      (e) => e.action === 'user.email_verified',
    );
    expect(proof?.detail?.dropped_credentials).toContain('passkeys');
  });
});
