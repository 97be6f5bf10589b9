import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disallowedClaimsHint } from '../../src/features/sso/claims-hint.js';
import { CookieJar } from '../support/cookie-jar.js';
import { testDatabases } from '../support/databases.js';
import { IDP_CERT, IDP_ENTITY_ID, signedResponse } from '../support/peers/saml-idp.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type ForgingIdP, startForgingIdP } from './forging-idp.js';

// Whose accounts an org's IdP can reach: only addresses of a domain PYLON_SSO_ALLOWED_DOMAINS
// allows the org to claim (checked at the claim, at every sign-in and by discovery), and only
// addresses that sign-up itself would take.

const APP = 'http://app.example.test';
const PUBLIC = 'http://localhost:4000';
const ADMIN = 'admin-token-for-sso-trust-tests-0123456789';
const IDP_SSO_URL = 'https://idp.test.example/sso/saml';
type Body = Record<string, unknown> & { error?: { code: string; message: string } };
interface Answer {
  status: number;
  headers: Headers;
  body: Body;
}

describe.each(testDatabases)('SSO domain claims and asserted emails on $kind', (database) => {
  let forging: ForgingIdP;
  let t: TestServer;
  let eve: string;
  let acmeOwner: string;
  let root: { token: string; userId: string };

  const callOn = async (server: TestServer, path: string, init: RequestInit = {}, jar?: CookieJar) => {
    const response = await server.request(`/api/auth${path}`, jar ? jar.apply(init) : init);
    jar?.store(response);
    const text = await response.text();
    const json = text !== '' && response.headers.get('content-type')?.includes('json');
    return {
      status: response.status,
      headers: response.headers,
      body: (json ? JSON.parse(text) : {}) as Body,
    };
  };
  const call = (path: string, init: RequestInit = {}, jar?: CookieJar) => callOn(t, path, init, jar);
  const as = (token: string, method = 'GET', body?: unknown): RequestInit => ({
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const verifiedUser = async (email: string) => {
    const post = (path: string, body: unknown) =>
      call(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const sent = await post('/magic/send', { email });
    const verified = await post('/magic/verify', { email, code: sent.body.dev_code });
    return { token: verified.body.token as string, userId: verified.body.user_id as string };
  };
  const oidcConfig = (domains: string[]) => ({
    issuer_url: forging.issuer,
    client_id: forging.clientId,
    client_secret: forging.clientSecret,
    email_domains: domains,
  });
  const samlConfig = (domains: string[]) => ({
    idp_entity_id: IDP_ENTITY_ID,
    idp_sso_url: IDP_SSO_URL,
    idp_x509_cert_pem: IDP_CERT,
    email_domains: domains,
  });
  const codeOf = (answer: Answer) => [answer.status, answer.body.error?.code];

  /** An OIDC sign-in at `org` whose IdP asserts `email`, verified; the session's `/me`. */
  const oidcSignIn = async (server: TestServer, org: string, sub: string, email: string) => {
    const browser = new CookieJar();
    const started = await callOn(server, `/orgs/${org}/sso/start?callback=${APP}/done`, {}, browser);
    expect(started.status).toBe(302);
    const authorization = new URL(started.headers.get('location')!);
    forging.nextIdToken = await forging.signWithPublishedKey(
      forging.claims({ sub, nonce: authorization.searchParams.get('nonce')!, email, email_verified: true }),
    );
    const state = authorization.searchParams.get('state')!;
    const done = await callOn(server, `/orgs/${org}/sso/callback?code=c&state=${state}`, {}, browser);
    expect(done.headers.get('location')).toBe(`${APP}/done`);
    return (await callOn(server, '/me', {}, browser)).body;
  };

  /** A SAML sign-in at `org` whose IdP asserts `email` as the NameID; `/me`, or where it failed. */
  const samlSignIn = async (server: TestServer, org: string, email: string) => {
    const browser = new CookieJar();
    const query = `callback=${APP}/done&error_callback=${APP}/failed`;
    const started = await callOn(server, `/orgs/${org}/saml/start?${query}`, {}, browser);
    const idpURL = new URL(started.headers.get('location')!);
    const requestXML = inflateRawSync(
      Buffer.from(idpURL.searchParams.get('SAMLRequest')!, 'base64'),
    ).toString();
    const base = `${PUBLIC}/api/auth/orgs/${org}/saml`;
    const response = signedResponse({
      spEntityID: `${base}/metadata`,
      acsURL: `${base}/acs`,
      requestID: / ID="([^"]+)"/.exec(requestXML)![1]!,
      email,
      now: server.clock.now(),
    });
    const form = new URLSearchParams({
      SAMLResponse: response.base64,
      RelayState: idpURL.searchParams.get('RelayState')!,
    });
    const done = await callOn(
      server,
      `/orgs/${org}/saml/acs`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://idp.test.example' },
        body: form.toString(),
      },
      browser,
    );
    const location = new URL(done.headers.get('location')!);
    if (location.pathname !== '/done') return { refused: location.searchParams.get('sso_error'), me: null };
    return { refused: null, me: (await callOn(server, '/me', {}, browser)).body };
  };

  beforeAll(async () => {
    forging = await startForgingIdP();
    t = await startTestServer(database, {
      env: {
        PYLON_ADMIN_TOKEN: ADMIN,
        PYLON_TRUSTED_ORIGINS: APP,
        PYLON_PUBLIC_URL: PUBLIC,
        PYLON_SSO_ALLOWED_DOMAINS: 'corp.test, acme = Acme.test',
      },
    });
    // The forging IdP signs with real time; Pylon's clock must agree.
    t.clock.set(Date.now());
    root = await verifiedUser('root@corp.test');
    eve = (await verifiedUser('eve@evil.test')).token;
    acmeOwner = (await verifiedUser('owner@acme.test')).token;
    expect((await call('/orgs', as(eve, 'POST', { name: 'evil', id: 'evil' }))).status).toBe(201);
    expect((await call('/orgs', as(acmeOwner, 'POST', { name: 'acme', id: 'acme' }))).status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    await forging?.close();
  });

  it('production with PYLON_SSO_ALLOWED_DOMAINS unset lets no org claim a domain', async () => {
    const production = await startTestServer(database, {
      env: {
        PYLON_ENV: 'production',
        PYLON_PUBLIC_URL: 'https://auth.example.com',
        PYLON_ADMIN_TOKEN: 'ab'.repeat(32),
      },
    });
    try {
      const admin = (method: string, body: unknown) => as('ab'.repeat(32), method, body);
      for (const [path, body] of [
        ['/orgs/default/sso', { ...oidcConfig(['corp.test']), issuer_url: 'https://idp.invalid' }],
        ['/orgs/default/saml', samlConfig(['corp.test'])],
      ] as const) {
        const refused = await callOn(production, path, admin('PUT', body));
        expect(codeOf(refused), path).toEqual([400, 'DOMAIN_NOT_ALLOWED']);
        expect(refused.body.error?.message).toContain('must list it in PYLON_SSO_ALLOWED_DOMAINS');
      }
      // A connection that claims no domain is still possible (it signs in without email links).
      const bare = await callOn(production, '/orgs/default/saml', admin('PUT', samlConfig([])));
      expect(bare.status).toBe(200);
    } finally {
      await production.close();
    }
  });

  it('a domain bound to one org (`acme=acme.test`) is refused to every other org, for OIDC and SAML', async () => {
    for (const path of ['/orgs/evil/sso', '/orgs/evil/saml']) {
      const body = path.endsWith('sso') ? oidcConfig(['acme.test']) : samlConfig(['acme.test']);
      const refused = await call(path, as(eve, 'PUT', body));
      expect(codeOf(refused), path).toEqual([400, 'DOMAIN_NOT_ALLOWED']);
      expect(refused.body.error?.message).toContain('reserved for another org');
    }
    const unlisted = await call('/orgs/evil/saml', as(eve, 'PUT', samlConfig(['other.test'])));
    expect(codeOf(unlisted)).toEqual([400, 'DOMAIN_NOT_ALLOWED']);
    expect((await call('/sso/discover?email=a@acme.test')).status).toBe(404);
    // The org it is bound to claims it.
    expect((await call('/orgs/acme/sso', as(acmeOwner, 'PUT', oidcConfig(['acme.test'])))).status).toBe(200);
    expect((await call('/orgs/acme/saml', as(acmeOwner, 'PUT', samlConfig(['acme.test'])))).status).toBe(200);
    expect((await call('/sso/discover?email=a@acme.test')).body.org_id).toBe('acme');
  });

  it('takes an asserted email only when sign-up would: a list, a header, a folded look-alike are no email', async () => {
    const kate = await verifiedUser('kate@acme.test');
    for (const [i, email] of [
      'kate@acme.test, x@b.test',
      'kate@acme.test\r\nBcc: y@b.test',
      '\u212Aate@acme.test', // KELVIN SIGN: lowercased, it is `kate@acme.test`
      'a,b;(c)@acme.test',
      '"kate"@acme.test',
    ].entries()) {
      const me = await oidcSignIn(t, 'acme', `odd-${i}`, email);
      expect([me.userId === kate.userId, me.email], JSON.stringify(email)).toEqual([false, null]);
    }
    for (const email of ['\u212Aate@acme.test', 'a,b;(c)@acme.test']) {
      expect((await samlSignIn(t, 'acme', email)).refused, JSON.stringify(email)).toBe(
        'INVALID_SAML_RESPONSE',
      );
    }
    // The control: the address as sign-up takes it, case aside, reaches its account both ways.
    expect((await oidcSignIn(t, 'acme', 'kate', 'Kate@ACME.test')).userId).toBe(kate.userId);
    expect((await samlSignIn(t, 'acme', 'KATE@acme.test')).me?.userId).toBe(kate.userId);
    const stored = await t.storage.db
      .selectFrom('users')
      .select('email')
      .where('email', 'like', '%b.test%')
      .execute();
    expect(stored).toEqual([]);
  });

  it('a claim the list no longer allows stops counting: sign-in links no email, discovery routes nowhere', async () => {
    // Allowed today (a bare entry): evil claims corp.test for both protocols, and it routes.
    expect((await call('/orgs/evil/sso', as(eve, 'PUT', oidcConfig(['corp.test'])))).status).toBe(200);
    expect((await call('/orgs/evil/saml', as(eve, 'PUT', samlConfig(['corp.test'])))).status).toBe(200);
    expect((await call('/sso/discover?email=root@corp.test')).body.org_id).toBe('evil');

    for (const list of ['acme=acme.test', 'corp=corp.test,acme=acme.test']) {
      // The operator drops corp.test, or binds it to another org, and restarts.
      const restarted = await startTestServer(database, {
        restartOf: t,
        env: {
          PYLON_ADMIN_TOKEN: ADMIN,
          PYLON_TRUSTED_ORIGINS: APP,
          PYLON_PUBLIC_URL: PUBLIC,
          PYLON_SSO_ALLOWED_DOMAINS: list,
        },
      });
      try {
        restarted.clock.set(Date.now());
        // The operator is told at start-up which claims stopped counting, and how to keep them.
        const hint = await disallowedClaimsHint(restarted.server.services);
        expect(hint, list).toContain('corp.test (org evil)');
        expect(hint, list).toContain('PYLON_SSO_ALLOWED_DOMAINS=evil=corp.test');
        expect(hint, list).not.toContain('acme.test');
        const discovered = await callOn(restarted, '/sso/discover?email=root@corp.test');
        expect(codeOf(discovered), list).toEqual([404, 'NO_SSO_FOR_DOMAIN']);
        const viaOIDC = await oidcSignIn(restarted, 'evil', `root-${list}`, 'root@corp.test');
        expect([viaOIDC.userId === root.userId, viaOIDC.email], list).toEqual([false, null]);
        const viaSAML = await samlSignIn(restarted, 'evil', 'root@corp.test');
        expect([viaSAML.me?.userId === root.userId, viaSAML.me?.email], list).toEqual([false, null]);
        // Re-saving the stale claim is refused too.
        const resaved = await callOn(restarted, '/orgs/evil/saml', as(eve, 'PUT', samlConfig(['corp.test'])));
        expect(codeOf(resaved), list).toEqual([400, 'DOMAIN_NOT_ALLOWED']);
      } finally {
        await restarted.close();
      }
    }
    // Nothing was linked to root's account through evil's IdPs.
    const linked = await t.storage.db
      .selectFrom('identities')
      .select('provider')
      .where('user_id', '=', root.userId)
      .execute();
    expect(linked.filter((row) => row.provider.startsWith('sso:'))).toEqual([]);
  });
});
