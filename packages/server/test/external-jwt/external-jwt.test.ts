import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from '../../src/features/identity/user-store.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ISSUER = 'https://access.example.com';
/** An issuer not trusted for email: its `email` claims never count. */
const OPEN_ISSUER = 'https://signup.example.com';
const AUDIENCE = 'pylon-deployment';
const ADMIN = 'admin-token-for-jwt-tests-0123456789';

/** A loopback listener counting requests: the key set server, or a trap no request may reach. */
async function listener(handler: (path: string) => { status: number; body: unknown }) {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(request.url ?? '');
    const answer = handler(request.url ?? '');
    response.writeHead(answer.status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(testDatabases)('external JWT issuers on $kind', (database) => {
  let t: TestServer;
  let jwks: Awaited<ReturnType<typeof listener>>;
  let trap: Awaited<ReturnType<typeof listener>>;
  let signing: CryptoKey;
  let publicJWK: JWK;
  const other = { key: null as unknown as CryptoKey };
  /** Keys published for encryption only: a token signed with one must not verify. */
  const encryptionOnly = { use: null as unknown as CryptoKey, keyOps: null as unknown as CryptoKey };

  const token = (
    claims: Record<string, unknown>,
    header: Record<string, unknown> = {},
    key: CryptoKey = signing,
  ) =>
    new SignJWT({ email: 'pat@example.com', email_verified: true, roles: ['viewer'], ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...header })
      .setIssuer((claims.iss as string) ?? ISSUER)
      .setAudience((claims.aud as string) ?? AUDIENCE)
      .setSubject((claims.sub as string) ?? 'pat-123')
      .setIssuedAt(Math.floor(t.clock.now() / 1000))
      .setExpirationTime((claims.exp as number) ?? Math.floor(t.clock.now() / 1000) + 300)
      .sign(key);
  const me = async (headers: Record<string, string>) => {
    const response = await t.request('/api/auth/me', { headers });
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown> & { error?: { code: string } },
    };
  };

  const withoutExp = () =>
    new SignJWT({ email: 'pat@example.com' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('pat-123')
      .setIssuedAt(Math.floor(t.clock.now() / 1000))
      .sign(signing);
  const futureIat = () =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('pat-123')
      .setIssuedAt(Math.floor(t.clock.now() / 1000) + 600)
      .setExpirationTime(Math.floor(t.clock.now() / 1000) + 900)
      .sign(signing);
  /** Signed by hand: jose will not write a header with a member twice. */
  const duplicateHeader = async () => {
    const now = Math.floor(t.clock.now() / 1000);
    const header = Buffer.from('{"alg":"none","kid":"k1","alg":"ES256"}').toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'pat-123', iat: now, exp: now + 60 }),
    ).toString('base64url');
    const signature = await crypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      signing,
      new TextEncoder().encode(`${header}.${payload}`),
    );
    return `${header}.${payload}.${Buffer.from(signature).toString('base64url')}`;
  };

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    signing = pair.privateKey;
    publicJWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    other.key = (await generateKeyPair('ES256')).privateKey;
    const encUse = await generateKeyPair('ES256', { extractable: true });
    const encOps = await generateKeyPair('ES256', { extractable: true });
    encryptionOnly.use = encUse.privateKey;
    encryptionOnly.keyOps = encOps.privateKey;
    const published = [
      publicJWK,
      { ...(await exportJWK(encUse.publicKey)), kid: 'k-enc', alg: 'ES256', use: 'enc' },
      { ...(await exportJWK(encOps.publicKey)), kid: 'k-ops', alg: 'ES256', key_ops: ['encrypt'] },
    ];
    jwks = await listener(() => ({ status: 200, body: { keys: published } }));
    trap = await listener(() => ({ status: 200, body: { keys: [] } }));
    t = await startTestServer(database, {
      env: {
        PYLON_ADMIN_TOKEN: ADMIN,
        PYLON_JWT_ISSUERS: JSON.stringify([
          {
            issuer: ISSUER,
            audience: AUDIENCE,
            jwks_url: `${jwks.url}/certs`,
            roles_claim: 'roles',
            header: 'Cf-Access-Jwt-Assertion',
            trust_email: true,
            max_lifetime_seconds: 3600,
          },
          { issuer: OPEN_ISSUER, audience: AUDIENCE, jwks_url: `${jwks.url}/certs` },
        ]),
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await jwks.close();
    await trap.close();
  });

  it('a valid token resolves /me as the external identity, from the bearer or the configured header', async () => {
    const valid = await token({});
    const viaBearer = await me({ authorization: `Bearer ${valid}` });
    expect(viaBearer.body).toMatchObject({
      userId: expect.stringMatching(/^ext_[0-9a-f]{32}$/),
      email: 'pat@example.com',
      emailVerified: true,
      roles: ['viewer'],
      authMethod: 'external_jwt',
    });
    const viaHeader = await me({ 'cf-access-jwt-assertion': valid });
    expect(viaHeader.body.authMethod).toBe('external_jwt');
  });

  it.each([
    [
      'alg none',
      async () =>
        `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'k1' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'x', exp: 9999999999 })).toString('base64url')}.`,
    ],
    [
      'HS256 signed with the public key',
      async () =>
        new SignJWT({ sub: 'x' })
          .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(JSON.stringify(publicJWK))),
    ],
    ['an unknown kid', async () => token({}, { kid: 'k2' })],
    ['another key', async () => token({}, {}, other.key)],
    ['a wrong issuer', async () => token({ iss: 'https://evil.example.com' })],
    ['a wrong audience', async () => token({ aud: 'someone-else' })],
    ['an expired token', async () => token({ exp: Math.floor(t.clock.now() / 1000) - 61 })],
    ['a token not yet valid', async () => token({ nbf: Math.floor(t.clock.now() / 1000) + 120 })],
    ['garbage shaped like a JWT', async () => 'abc.def.ghi'],
    ['a token without exp', async () => withoutExp()],
    ['a token issued in the future', async () => futureIat()],
    [
      'a lifetime over the issuer maximum',
      async () => token({ exp: Math.floor(t.clock.now() / 1000) + 2 * 3600 }),
    ],
    ['a header with alg twice', async () => duplicateHeader()],
    [
      'a key published for encryption (use: enc)',
      async () => token({}, { kid: 'k-enc' }, encryptionOnly.use),
    ],
    ['a key whose key_ops forbid verify', async () => token({}, { kid: 'k-ops' }, encryptionOnly.keyOps)],
  ])('refuses %s with 401 INVALID_JWT', async (_label, make) => {
    const answer = await me({ authorization: `Bearer ${await make()}` });
    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe('INVALID_JWT');
  });

  it('refetches the key set for an unknown kid at most once a minute', async () => {
    const before = jwks.requests.length;
    for (const kid of ['u1', 'u2', 'u3']) await me({ authorization: `Bearer ${await token({}, { kid })}` });
    expect(jwks.requests.length - before).toBeLessThanOrEqual(1);
  });

  it('never follows jku, x5u or an embedded jwk', async () => {
    const attacker = await generateKeyPair('ES256', { extractable: true });
    const embedded = await exportJWK(attacker.publicKey);
    const forged = await new SignJWT({ email: 'mallory@example.com' })
      .setProtectedHeader({
        alg: 'ES256',
        kid: 'evil',
        jku: `${trap.url}/jwks`,
        x5u: `${trap.url}/x5u`,
        jwk: embedded,
      })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('mallory')
      .setExpirationTime(Math.floor(t.clock.now() / 1000) + 300)
      .sign(attacker.privateKey);
    expect((await me({ authorization: `Bearer ${forged}` })).body.error?.code).toBe('INVALID_JWT');
    expect(trap.requests).toEqual([]);
  });

  it('acts on the RBAC surface for the email it names', async () => {
    await t.request('/roles', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ email: 'pat@example.com', app_id: 'pylon', archetype: 'pylon-auditor' }),
    });
    const answer = await t.request('/audit?limit=1', {
      headers: { authorization: `Bearer ${await token({})}` },
    });
    expect(answer.status).toBe(200);
  });

  it('an email the issuer is not trusted for, or does not say is verified, carries no grants', async () => {
    await t.request('/roles', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ email: 'boss@example.com', app_id: 'pylon', archetype: 'pylon-admin' }),
    });
    await t.request('/roles', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ email: 'kim@example.com', app_id: 'pylon', archetype: 'pylon-admin' }),
    });
    const claims = { email: 'boss@example.com', sub: 'anyone-can-sign-up' };
    const cases = [
      await token({ ...claims, email_verified: false }),
      await token({ ...claims, email_verified: undefined }),
      await token({ ...claims, email_verified: 'true' }),
      await token({ ...claims, iss: OPEN_ISSUER }),
      // Addresses sign-up refuses, judged before case folding (U+212A KELVIN SIGN lowercases to k).
      await token({ ...claims, email: '\u212Aim@example.com' }),
      await token({ ...claims, email: 'b\u200Boss@example.com' }),
      await token({ ...claims, email: 'not an email <boss@example.com>' }),
      await token({ ...claims, email: 'BOSS@example.com\r\nBcc: x@example.com' }),
    ];
    for (const jwt of cases) {
      const who = await me({ authorization: `Bearer ${jwt}` });
      expect(who.status).toBe(200);
      expect(who.body).toMatchObject({ email: null, emailVerified: false, authMethod: 'external_jwt' });
      const audit = await t.request('/audit?limit=1', { headers: { authorization: `Bearer ${jwt}` } });
      expect(audit.status).toBe(401);
      const apps = await t.request('/apps', { headers: { authorization: `Bearer ${jwt}` } });
      expect(apps.status).toBe(401);
    }
    // The same address, verified, from the trusted issuer: the grant applies.
    const proven = await token(claims);
    expect((await t.request('/apps', { headers: { authorization: `Bearer ${proven}` } })).status).toBe(200);
  });

  it("a sub equal to a local user's id gets nothing of that user; an explicit link does", async () => {
    t.clock.advance(120_000);
    const sent = await t.request('/api/auth/magic/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'local@example.com' }),
    });
    const code = ((await sent.json()) as { dev_code: string }).dev_code;
    const signedIn = (await (
      await t.request('/api/auth/magic/verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'local@example.com', code }),
      })
    ).json()) as { token: string; user_id: string };
    const created = await t.request('/api/auth/orgs', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${signedIn.token}` },
      body: JSON.stringify({ name: 'Local Org', id: 'local-org' }),
    });
    expect(created.status).toBeLessThan(300);

    for (const iss of [ISSUER, OPEN_ISSUER]) {
      const impostor = await token({ sub: signedIn.user_id, email: 'other@example.com', iss });
      const who = await me({ authorization: `Bearer ${impostor}` });
      expect(who.body.userId).not.toBe(signedIn.user_id);
      expect(who.body.userId).toMatch(/^ext_/);
      const orgs = await t.request('/api/auth/orgs', { headers: { authorization: `Bearer ${impostor}` } });
      expect(JSON.stringify(await orgs.json())).not.toContain('local-org');
      const org = await t.request('/api/auth/orgs/local-org/members', {
        headers: { authorization: `Bearer ${impostor}` },
      });
      expect(org.status).toBeGreaterThanOrEqual(400);
    }
    // Different issuers never share an identity for the same subject.
    const a = await me({ authorization: `Bearer ${await token({ sub: 'same' })}` });
    const b = await me({ authorization: `Bearer ${await token({ sub: 'same', iss: OPEN_ISSUER })}` });
    expect(a.body.userId).not.toBe(b.body.userId);

    // A link recorded for (issuer, subject) is what maps an outside identity onto a local account.
    await new UserStore(t.storage.db, t.server.services.random).linkIdentity(t.storage.db, {
      provider: `jwt:${ISSUER}`,
      subject: 'linked-subject',
      userId: signedIn.user_id,
      email: null,
      now: t.clock.now(),
    });
    const linked = await me({ authorization: `Bearer ${await token({ sub: 'linked-subject' })}` });
    expect(linked.body.userId).toBe(signedIn.user_id);
    const notLinked = await me({
      authorization: `Bearer ${await token({ sub: 'linked-subject', iss: OPEN_ISSUER })}`,
    });
    expect(notLinked.body.userId).not.toBe(signedIn.user_id);
  });

  it('a disabled account is reached by no token: not through its address, not through a link', async () => {
    t.clock.advance(120_000);
    const admin = { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` };
    const sent = await t.request('/api/auth/magic/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'carol@example.com' }),
    });
    const code = ((await sent.json()) as { dev_code: string }).dev_code;
    const carol = (await (
      await t.request('/api/auth/magic/verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'carol@example.com', code }),
      })
    ).json()) as { user_id: string };
    await t.request('/roles', {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ email: 'carol@example.com', app_id: 'pylon', archetype: 'pylon-admin' }),
    });
    await new UserStore(t.storage.db, t.server.services.random).linkIdentity(t.storage.db, {
      provider: `jwt:${ISSUER}`,
      subject: 'carol-linked',
      userId: carol.user_id,
      email: null,
      now: t.clock.now(),
    });
    const byAddress = await token({ sub: 'carol-at-idp', email: 'carol@example.com' });
    const byLink = await token({ sub: 'carol-linked', email: 'someone-else@example.com' });
    expect((await me({ authorization: `Bearer ${byAddress}` })).body).toMatchObject({ isAdmin: true });
    expect((await me({ authorization: `Bearer ${byLink}` })).body.userId).toBe(carol.user_id);

    const disabled = await t.request(`/api/auth/users/${carol.user_id}/disable`, {
      method: 'POST',
      headers: admin,
    });
    expect(disabled.status).toBe(200);
    for (const jwt of [byAddress, byLink]) {
      const who = await me({ authorization: `Bearer ${jwt}` });
      expect(who.status).toBe(403);
      expect(who.body.error?.code).toBe('FORBIDDEN');
      // Not even to undo the admin's decision, nor to use the grant on the RBAC surface.
      const enable = await t.request(`/api/auth/users/${carol.user_id}/enable`, {
        method: 'POST',
        headers: { authorization: `Bearer ${jwt}` },
      });
      expect(enable.status).toBe(403);
      const roles = await t.request('/roles?app_id=pylon', { headers: { authorization: `Bearer ${jwt}` } });
      expect(roles.status).toBe(403);
    }
    // Someone else's verified address from the same issuer is unaffected.
    expect((await me({ authorization: `Bearer ${await token({ sub: 'pat-123' })}` })).status).toBe(200);

    await t.request(`/api/auth/users/${carol.user_id}/enable`, { method: 'POST', headers: admin });
    // A token issued before the disable stays refused after the enable; one issued since is taken.
    expect((await me({ authorization: `Bearer ${byAddress}` })).status).toBe(403);
    t.clock.advance(1_000);
    const since = await token({ sub: 'carol-at-idp', email: 'carol@example.com' });
    expect((await me({ authorization: `Bearer ${since}` })).status).toBe(200);
  });

  it('is not a session: cannot manage sessions', async () => {
    const answer = await t.request('/api/auth/sessions', {
      headers: { authorization: `Bearer ${await token({})}` },
    });
    expect(answer.status).toBe(401);
  });
});

describe('PYLON_JWT_ISSUERS configuration', () => {
  it('names the variable when it is malformed', async () => {
    const { loadConfig } = await import('../../src/config/config.js');
    for (const value of [
      'not json',
      '{}',
      '[{"issuer":"x"}]',
      '[{"issuer":"x","audience":"y","jwks_url":"http://example.com/k"}]',
    ]) {
      expect(() => loadConfig({ PYLON_JWT_ISSUERS: value }), value).toThrow('PYLON_JWT_ISSUERS');
    }
  });
});
