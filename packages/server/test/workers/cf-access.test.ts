import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningWorker, startWorker } from './support/worker.js';

const AUD = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** A stand-in for `<team>/cdn-cgi/access/certs` on 127.0.0.1, serving `keys`. */
async function certsServer(keys: JWK[]) {
  const server: Server = createServer((request, response) => {
    if (request.url !== '/cdn-cgi/access/certs') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' });
    response.end(JSON.stringify({ keys, public_cert: {}, public_certs: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Cloudflare Access on the Worker bundle (miniflare): a valid Cf-Access-Jwt-Assertion on /login
 * signs the person in, as on Node (test/cf-access); a token for another application, an expired
 * one or one signed by another key signs no one in, shows the page signed out and answers no 500.
 * The team's certs are fetched through the Worker's own fetch (outbound, to a loopback stand-in).
 */
describe('Cloudflare Access on Cloudflare Workers (miniflare)', () => {
  let worker: RunningWorker;
  let certs: Awaited<ReturnType<typeof certsServer>>;
  let signing: CryptoKey;
  let otherKey: CryptoKey;
  let n = 0;

  const now = () => Math.floor(Date.now() / 1000);
  const assertion = (
    who: { sub: string; email: string },
    options: { aud?: string; exp?: number; key?: CryptoKey } = {},
  ) =>
    new SignJWT({ email: who.email, type: 'app', country: 'NZ' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(certs.url)
      .setAudience([options.aud ?? AUD])
      .setSubject(who.sub)
      .setIssuedAt(now() - 60)
      .setExpirationTime(options.exp ?? now() + 3600)
      .sign(options.key ?? signing);
  const person = () => {
    n++;
    return { sub: `sub-worker-${n}`, email: `worker-access${n}@example.com` };
  };
  const sessionCookie = (response: Response) =>
    /pylon_session=(pylon_[^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1] ?? null;
  const login = (token: string) =>
    worker.request('/login?return_to=%2Fdevice', {
      redirect: 'manual',
      headers: { 'cf-access-jwt-assertion': token },
    });
  /** The Worker's log lines (JSON) about Access since `from`. */
  const accessLines = (from: number) =>
    worker.logs
      .slice(from)
      .filter((line) => line.includes('Cloudflare Access'))
      .map((line) => JSON.parse(line) as { msg: string; reason?: string; level: number });

  /**
   * The assertion signs no one in: /login answers its plain form (200, no session cookie), and the
   * one log line names `reason` and holds no part of the token. The line arrives on the runtime's
   * stdout after the response, so it is awaited by polling, not a fixed wait.
   */
  const refused = async (token: string, reason: string) => {
    const from = worker.logs.length;
    const response = await login(token);
    expect(response.status).toBe(200);
    expect(sessionCookie(response)).toBeNull();
    expect(await response.text()).toContain('action="/login/code"');
    await expect.poll(() => accessLines(from).length, { timeout: 10_000 }).toBeGreaterThan(0);
    const written = accessLines(from);
    expect(written).toEqual([
      expect.objectContaining({ msg: 'Cloudflare Access assertion not used to sign in', reason }),
    ]);
    const text = worker.logs.slice(from).join('\n');
    for (const part of token.split('.').filter((segment) => segment.length > 8)) {
      expect(text).not.toContain(part);
    }
  };

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    signing = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    certs = await certsServer([
      { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' },
    ]);
    worker = await startWorker({ PYLON_CF_ACCESS_TEAM_DOMAIN: certs.url, PYLON_CF_ACCESS_AUD: AUD });
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await certs?.close();
  });

  it('a valid assertion on /login sets a session cookie, and /api/auth/me names the person', async () => {
    const who = person();
    const response = await login(await assertion(who));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/device');
    expect(response.headers.get('set-cookie')).toContain('HttpOnly');
    const cookie = sessionCookie(response);
    expect(cookie).not.toBeNull();
    const me = (await (
      await worker.request('/api/auth/me', { headers: { cookie: `pylon_session=${cookie}` } })
    ).json()) as { userId: string | null; email: string | null; emailVerified: boolean };
    expect(me).toMatchObject({ email: who.email, emailVerified: true });
    expect(me.userId).toEqual(expect.any(String));
  });

  it('the same (team, sub) is the same account on its next sign-in', async () => {
    const who = person();
    const first = sessionCookie(await login(await assertion(who)));
    const again = sessionCookie(await login(await assertion(who)));
    const userOf = async (cookie: string | null) =>
      (
        (await (
          await worker.request('/api/auth/me', { headers: { cookie: `pylon_session=${cookie}` } })
        ).json()) as { userId: string }
      ).userId;
    expect(first).not.toBeNull();
    expect(again).not.toBeNull();
    expect(again).not.toBe(first);
    expect(await userOf(again)).toBe(await userOf(first));
  });

  it('a token for another application (wrong aud) signs no one in', async () => {
    await refused(await assertion(person(), { aud: 'another-application' }), 'wrong_audience');
  });

  it('an expired token signs no one in', async () => {
    await refused(await assertion(person(), { exp: now() - 3600 }), 'expired');
  });

  it('a token signed by another key under the published kid signs no one in', async () => {
    await refused(await assertion(person(), { key: otherKey }), 'bad_signature');
  });

  it('no request above answered 500 or logged a failure of the gate', () => {
    expect(worker.logs.filter((line) => line.includes('Cloudflare Access sign-in failed'))).toEqual([]);
  });
});
