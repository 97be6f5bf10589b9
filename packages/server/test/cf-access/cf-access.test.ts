import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from '../../src/features/identity/user-store.js';
import { base32Decode, hotp, timeStep } from '../../src/features/mfa/totp.js';
import { CookieJar } from '../support/cookie-jar.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const AUD = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const ORIGIN = 'http://localhost:4000';

/** A stand-in for `<team>/cdn-cgi/access/certs` on 127.0.0.1: serves `keys`, counts fetches. */
async function certsServer(keys: () => JWK[]) {
  let fetches = 0;
  const server: Server = createServer((request, response) => {
    if (request.url !== '/cdn-cgi/access/certs') {
      response.writeHead(404).end();
      return;
    }
    fetches++;
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' });
    response.end(JSON.stringify({ keys: keys(), public_cert: {}, public_certs: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    fetches: () => fetches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Every log line the server writes, as text, to show what was (and was not) logged. */
function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe.each(testDatabases)('Cloudflare Access on the hosted pages on $kind', (database) => {
  let t: TestServer;
  let certs: Awaited<ReturnType<typeof certsServer>>;
  let team: string;
  let signing: CryptoKey;
  let publicKey: CryptoKey;
  let otherKey: CryptoKey;
  let rotated: CryptoKey;
  const published: JWK[] = [];
  const log = capturingLogger();
  let n = 0;

  const now = () => Math.floor(t.clock.now() / 1000);
  const assertion = (
    claims: Record<string, unknown> = {},
    options: { kid?: string; key?: CryptoKey; iat?: number; exp?: number; nbf?: number } = {},
  ) => {
    const jwt = new SignJWT({ email: 'pat@example.com', type: 'app', country: 'NZ', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1' })
      .setIssuer((claims.iss as string) ?? team)
      .setAudience((claims.aud as string | string[]) ?? [AUD])
      .setSubject((claims.sub as string) ?? 'sub-pat')
      .setIssuedAt(options.iat ?? now())
      .setExpirationTime(options.exp ?? now() + 24 * 3600);
    if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
    return jwt.sign(options.key ?? signing);
  };
  /** A new Access person: a fresh sub and address. */
  const person = () => {
    n++;
    return { sub: `sub-${n}-${database.kind}`, email: `access${n}-${database.kind}@example.com` };
  };
  const get = (path: string, headers: Record<string, string> = {}) => t.request(path, { headers });
  const sessionCookie = (response: Response) =>
    /pylon_session=(pylon_[^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1] ?? null;
  const me = async (cookie: string) =>
    (await (await get('/api/auth/me', { cookie: `pylon_session=${cookie}` })).json()) as {
      userId: string | null;
      email: string | null;
      emailVerified: boolean;
    };
  /**
   * A GET of /login with this assertion, expected to sign no one in: the plain page answers, and
   * the one log line it wrote names `reason` and holds no part of the token.
   */
  const refused = async (token: string, reason: string) => {
    const before = log.lines.length;
    const response = await get('/login?return_to=%2Fdevice', { 'cf-access-jwt-assertion': token });
    expect(response.status).toBe(200);
    expect(sessionCookie(response)).toBeNull();
    expect(await response.text()).toContain('action="/login/code"');
    const written = log.lines.slice(before).filter((line) => line.includes('Cloudflare Access'));
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0]!)).toMatchObject({ reason });
    for (const part of token.split('.').filter((segment) => segment.length > 8)) {
      expect(written[0]).not.toContain(part);
    }
  };

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    signing = pair.privateKey;
    publicKey = pair.publicKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const next = await generateKeyPair('RS256', { extractable: true });
    rotated = next.privateKey;
    published.push({ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' });
    certs = await certsServer(() => published);
    team = certs.url;
    t = await startTestServer(database, {
      env: { PYLON_CF_ACCESS_TEAM_DOMAIN: team, PYLON_CF_ACCESS_AUD: AUD },
      logger: log.logger,
    });
    // The next key, published later (a rotation); kept here until then.
    (rotated as unknown as { jwk: JWK }).jwk = {
      ...(await exportJWK(next.publicKey)),
      kid: 'k2',
      alg: 'RS256',
      use: 'sig',
    };
  });
  afterAll(async () => {
    await t?.close();
    await certs?.close();
  });

  it('a valid assertion on /login signs the person in and goes on to return_to', async () => {
    const who = person();
    const token = await assertion(who);
    const response = await get('/login?return_to=%2Fdevice', { 'cf-access-jwt-assertion': token });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/device');
    const cookie = sessionCookie(response);
    expect(cookie).not.toBeNull();
    expect(response.headers.get('set-cookie')).toContain('HttpOnly');
    const caller = await me(cookie!);
    expect(caller).toMatchObject({ email: who.email, emailVerified: true });
    // The (team, sub) identity is linked; the sign-in is audited as cf_access, without the token.
    const link = await t.storage.db
      .selectFrom('identities')
      .selectAll()
      .where('subject', '=', who.sub)
      .executeTakeFirstOrThrow();
    expect(link).toMatchObject({ provider: `cf_access:${team}`, user_id: caller.userId });
    const signIns = await t.storage.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'auth.sign_in')
      .where('target', '=', caller.userId)
      .execute();
    expect(signIns).toHaveLength(1);
    const detail = signIns[0]!.detail;
    expect(typeof detail === 'string' ? JSON.parse(detail) : detail).toMatchObject({ method: 'cf_access' });
    expect(JSON.stringify(await t.storage.db.selectFrom('audit_events').selectAll().execute())).not.toContain(
      token,
    );
    // A return_to off this origin is never followed.
    const offsite = await get('/login?return_to=%2F%2Fevil.example%2Fx', {
      'cf-access-jwt-assertion': await assertion(who),
    });
    expect(offsite.status).toBe(303);
    expect(offsite.headers.get('location')).toBe('/login/done');
  });

  it('the CF_Authorization cookie signs in too, and the same (team, sub) is the same account', async () => {
    const who = person();
    const first = await get('/login', { cookie: `CF_Authorization=${await assertion(who)}` });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/login/done');
    const firstUser = (await me(sessionCookie(first)!)).userId;
    // Access may report a changed address for the same subject: the link, not the email, decides.
    const again = await get('/login', {
      'cf-access-jwt-assertion': await assertion({ ...who, email: `renamed-${who.email}` }),
    });
    expect((await me(sessionCookie(again)!)).userId).toBe(firstUser);
  });

  it('an existing account with the address is the one signed in to, and links it', async () => {
    const email = `existing-${database.kind}@example.com`;
    t.clock.advance(61_000);
    const sent = (await (
      await t.request('/api/auth/magic/send', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      })
    ).json()) as { dev_code: string };
    const verified = (await (
      await t.request('/api/auth/magic/verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, code: sent.dev_code }),
      })
    ).json()) as { user_id: string };
    const response = await get('/login', {
      'cf-access-jwt-assertion': await assertion({ sub: `sub-existing-${database.kind}`, email }),
    });
    expect((await me(sessionCookie(response)!)).userId).toBe(verified.user_id);
  });

  it('a signed-in browser is left alone: no second session', async () => {
    const who = person();
    const jar = new CookieJar();
    const first = await get('/login', { 'cf-access-jwt-assertion': await assertion(who) });
    jar.store(first);
    const again = await t.request(
      '/login',
      jar.apply({ headers: { 'cf-access-jwt-assertion': await assertion(who) } }),
    );
    expect(again.status).toBe(200);
    expect(sessionCookie(again)).toBeNull();
  });

  it('device approval over HTTP with the header: GET /device shows the form, the approval goes through', async () => {
    const started = (await (
      await t.request('/device/init', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client: 'pylon-cli/0.1.0', org_id: 'default' }),
      })
    ).json()) as { user_code: string; device_code: string };
    const who = person();
    const jar = new CookieJar();
    const page = await t.request(`/device?user_code=${started.user_code}`, {
      headers: { 'cf-access-jwt-assertion': await assertion(who) },
    });
    expect(page.status).toBe(200);
    jar.store(page);
    const text = await page.text();
    expect(text).toContain('pylon-cli/0.1.0');
    expect(text).toContain(who.email);
    const csrf = /name="csrf" value="([^"]+)"/.exec(text)![1]!;
    const approved = await t.request(
      '/device/complete',
      jar.apply({
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: ORIGIN,
          accept: 'text/html',
        },
        body: new URLSearchParams({ user_code: started.user_code, approve: 'true', csrf }).toString(),
      }),
    );
    expect(approved.status).toBe(303);
    expect(approved.headers.get('location')).toBe('/device/done?status=approved');
    t.clock.advance(10_000);
    const polled = (await (
      await get(`/device/poll?device_code=${encodeURIComponent(started.device_code)}`)
    ).json()) as { status: string };
    expect(polled.status).toBe('authorised');
  });

  it('an account with TOTP answers its code before the session: Access is its first factor', async () => {
    const who = person();
    const first = await get('/login', { 'cf-access-jwt-assertion': await assertion(who) });
    const bearer = sessionCookie(first)!;
    const call = async (path: string, body: unknown) =>
      (await (
        await t.request(`/api/auth${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
          body: JSON.stringify(body),
        })
      ).json()) as Record<string, unknown>;
    const enrolment = await call('/totp/enroll', {});
    const secret = base32Decode(enrolment.secret as string);
    await call('/totp/verify', { code: hotp(secret, timeStep(t.clock.now())) });
    t.clock.advance(60_000);
    const page = await get('/login?return_to=%2Fdevice', { 'cf-access-jwt-assertion': await assertion(who) });
    expect(page.status).toBe(200);
    expect(sessionCookie(page)).toBeNull();
    const text = await page.text();
    expect(text).toContain('action="/login/totp"');
    const mfaToken = /name="mfa_token" value="([^"]+)"/.exec(text)![1]!;
    const done = await t.request('/login/totp', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
      body: new URLSearchParams({
        mfa_token: mfaToken,
        code: hotp(secret, timeStep(t.clock.now())),
        return_to: '/device',
      }).toString(),
    });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/device');
    expect((await me(sessionCookie(done)!)).email).toBe(who.email);
  });

  it("under an org's base the pages sign in the same, and return_to stays under it", async () => {
    const response = await get('/o/default/login?return_to=%2Fo%2Fdefault%2Fdevice', {
      'cf-access-jwt-assertion': await assertion(person()),
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/o/default/device');
    const device = await get('/o/default/device', { 'cf-access-jwt-assertion': await assertion(person()) });
    expect(device.status).toBe(200);
    expect(await device.text()).toContain('Connect a device');
    // The stylesheet is no page: nobody is signed in by fetching it.
    const css = await get('/assets/pylon.css', { 'cf-access-jwt-assertion': await assertion(person()) });
    expect(sessionCookie(css)).toBeNull();
  });

  it('the JSON API never takes the assertion as a credential', async () => {
    const token = await assertion(person());
    const caller = (await (await get('/api/auth/me', { 'cf-access-jwt-assertion': token })).json()) as {
      userId: string | null;
    };
    expect(caller.userId).toBeNull();
    const whoami = await get('/whoami', {
      'cf-access-jwt-assertion': token,
      cookie: `CF_Authorization=${token}`,
    });
    expect(whoami.status).toBe(401);
    expect(sessionCookie(whoami)).toBeNull();
  });

  describe('refused assertions: the page signed out, never a 500, a log line without the token', () => {
    it('expired', async () =>
      refused(await assertion(person(), { iat: now() - 7200, exp: now() - 3600 }), 'expired'));
    it('not yet valid', async () =>
      refused(await assertion(person(), { nbf: now() + 3600 }), 'not_yet_valid'));
    it('issued in the future', async () =>
      refused(await assertion(person(), { iat: now() + 3600 }), 'issued_in_future'));
    it('wrong aud', async () =>
      refused(await assertion({ ...person(), aud: ['another-app'] }), 'wrong_audience'));
    it('wrong iss', async () =>
      refused(await assertion({ ...person(), iss: 'https://other.cloudflareaccess.com' }), 'wrong_issuer'));
    it('missing email', async () =>
      refused(await assertion({ ...person(), email: undefined }), 'missing_email'));
    it('an email that is not one', async () =>
      refused(await assertion({ ...person(), email: 'not-an-email' }), 'missing_email'));
    it('signed by another key under the known kid', async () =>
      refused(await assertion(person(), { key: otherKey }), 'bad_signature'));
    it('a kid the team does not publish', async () =>
      refused(await assertion(person(), { kid: 'k-unknown', key: otherKey }), 'unknown_key'));
    it('malformed', async () => {
      await refused('not-a-jwt', 'malformed');
      await refused('a.b.c', 'malformed');
      await refused(`${'x'.repeat(9000)}.y.z`, 'malformed');
    });
    it('a tampered payload', async () => {
      const [header, payload, signature] = (await assertion(person())).split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
      const forged = Buffer.from(JSON.stringify({ ...claims, email: 'ceo@example.com' })).toString(
        'base64url',
      );
      await refused(`${header}.${forged}.${signature}`, 'bad_signature');
    });
    it('alg HS256 keyed with the public key', async () => {
      const pem = new TextEncoder().encode(await exportSPKI(publicKey));
      const token = await new SignJWT({ email: 'hs@example.com' })
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .setIssuer(team)
        .setAudience([AUD])
        .setSubject('sub-hs')
        .setIssuedAt(now())
        .setExpirationTime(now() + 600)
        .sign(pem);
      await refused(token, 'algorithm');
      const jwk = new TextEncoder().encode(JSON.stringify(published[0]));
      await refused(
        await new SignJWT({ email: 'hs@example.com' })
          .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
          .setIssuer(team)
          .setAudience([AUD])
          .setSubject('sub-hs')
          .setIssuedAt(now())
          .setExpirationTime(now() + 600)
          .sign(jwk),
        'algorithm',
      );
    });
    it('alg none', async () => {
      const header = Buffer.from(JSON.stringify({ alg: 'none', kid: 'k1' })).toString('base64url');
      const payload = Buffer.from(
        JSON.stringify({
          iss: team,
          aud: [AUD],
          sub: 'sub-none',
          email: 'none@example.com',
          iat: now(),
          exp: now() + 600,
        }),
      ).toString('base64url');
      await refused(`${header}.${payload}.`, 'malformed');
      await refused(`${header}.${payload}.c2ln`, 'algorithm');
    });
    it('a header with alg twice', async () => {
      const valid = await assertion(person());
      const [, payload, signature] = valid.split('.');
      const header = Buffer.from('{"alg":"none","kid":"k1","alg":"RS256"}').toString('base64url');
      await refused(`${header}.${payload}.${signature}`, 'malformed');
    });
    it('a disabled account', async () => {
      const who = person();
      const first = await get('/login', { 'cf-access-jwt-assertion': await assertion(who) });
      const { userId } = await me(sessionCookie(first)!);
      await new UserStore(t.storage.db, { bytes: () => new Uint8Array(16) } as never).setDisabled(
        t.storage.db,
        userId!,
        t.clock.now(),
      );
      await refused(await assertion(who), 'account_disabled');
    });
  });

  it('a rotated key: an unknown kid refetches the certs once, at most every 30 s', async () => {
    const before = certs.fetches();
    const nextJWK = (rotated as unknown as { jwk: JWK }).jwk;
    const who = person();
    // Not yet published: refused after one refetch.
    t.clock.advance(31_000);
    await refused(await assertion(who, { kid: 'k2', key: rotated }), 'unknown_key');
    expect(certs.fetches()).toBe(before + 1);
    // Published now, but within the cooldown: no second fetch, still refused.
    published.push(nextJWK);
    await refused(await assertion(who, { kid: 'k2', key: rotated }), 'unknown_key');
    expect(certs.fetches()).toBe(before + 1);
    // After the cooldown, the new kid refetches once and signs in.
    t.clock.advance(31_000);
    const response = await get('/login', {
      'cf-access-jwt-assertion': await assertion(who, { kid: 'k2', key: rotated }),
    });
    expect(response.status).toBe(303);
    expect(certs.fetches()).toBe(before + 2);
    // Known kids use the cached set.
    await get('/login', { 'cf-access-jwt-assertion': await assertion(person()) });
    expect(certs.fetches()).toBe(before + 2);
    // Past the response's max-age (600 s), the set is fetched again.
    t.clock.advance(601_000);
    const late = await get('/login', { 'cf-access-jwt-assertion': await assertion(person()) });
    expect(late.status).toBe(303);
    expect(certs.fetches()).toBe(before + 3);
  });
});

describe("Cloudflare Access when the team's certs cannot be fetched", () => {
  it('the page answers signed out, logged as certs_unavailable, never a 500', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const log = capturingLogger();
    const t = await startTestServer(testDatabases[0]!, {
      env: { PYLON_CF_ACCESS_TEAM_DOMAIN: `http://127.0.0.1:${port}`, PYLON_CF_ACCESS_AUD: AUD },
      logger: log.logger,
    });
    try {
      const { privateKey } = await generateKeyPair('RS256');
      const token = await new SignJWT({ email: 'pat@example.com' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(`http://127.0.0.1:${port}`)
        .setAudience([AUD])
        .setSubject('sub-pat')
        .setIssuedAt(Math.floor(t.clock.now() / 1000))
        .setExpirationTime(Math.floor(t.clock.now() / 1000) + 600)
        .sign(privateKey);
      const device = await t.request('/device', { headers: { 'cf-access-jwt-assertion': token } });
      expect(device.status).toBe(303);
      expect(device.headers.get('location')).toBe('/login?return_to=%2Fdevice');
      const line = log.lines.find((text) => text.includes('Cloudflare Access'));
      expect(JSON.parse(line!)).toMatchObject({ reason: 'certs_unavailable', level: 40 });
    } finally {
      await t.close();
    }
  });
});
