import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secureRandom } from '../../src/crypto/random.js';
import {
  type SAMLFailureReason,
  SAMLValidationError,
} from '../../src/features/sso/saml/response-validation.js';
import { SAMLStore } from '../../src/features/sso/saml-store.js';
import { CookieJar } from '../support/cookie-jar.js';
import { testDatabases } from '../support/databases.js';
import {
  ATTACKER_CERT,
  ATTACKER_KEY,
  assertionXML,
  goodFields,
  IDP_CERT,
  IDP_ENTITY_ID,
  responseXML,
  type SignedResponseInput,
  signElement,
  signedResponse,
  toBase64,
} from '../support/peers/saml-idp.js';
import { startTestServer, type TestServer } from '../support/server.js';

const APP = 'http://app.example.test';
const PUBLIC = 'http://localhost:4000';
const IDP_SSO_URL = 'https://idp.test.example/sso/saml?app=pylon';
const SP = `${PUBLIC}/api/auth/orgs/acme/saml/metadata`;
const ACS = `${PUBLIC}/api/auth/orgs/acme/saml/acs`;
const ADMIN = 'admin-token-for-saml-tests-0123456789';
type Body = Record<string, unknown> & { error?: { code: string; message: string } };

interface Started {
  requestID: string;
  relayState: string;
  idpURL: URL;
  requestXML: string;
}

describe.each(testDatabases)('per-org SAML SSO on $kind', (database) => {
  let t: TestServer;
  let owner: string;

  const call = async (path: string, init: RequestInit = {}, jar?: CookieJar) => {
    const response = await t.request(`/api/auth${path}`, jar ? jar.apply(init) : init);
    jar?.store(response);
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      text,
      body: (text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {}) as Body,
    };
  };
  const as = (token: string, method = 'GET', body?: unknown): RequestInit => ({
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const verifiedUser = async (email: string) => {
    const json = { 'content-type': 'application/json' };
    const sent = await call('/magic/send', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email }),
    });
    const verified = await call('/magic/verify', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email, code: sent.body.dev_code }),
    });
    return { token: verified.body.token as string, userId: verified.body.user_id as string };
  };
  const samlConfig = (extra: Record<string, unknown> = {}) => ({
    idp_entity_id: IDP_ENTITY_ID,
    idp_sso_url: IDP_SSO_URL,
    idp_x509_cert_pem: IDP_CERT,
    email_domains: ['acme.test'],
    name_attribute: 'displayName',
    ...extra,
  });

  /** start → the browser is sent to the IdP; the test reads the AuthnRequest as the IdP would. */
  const start = async (browser: CookieJar, org = 'acme'): Promise<Started> => {
    const started = await call(
      `/orgs/${org}/saml/start?callback=${APP}/done&error_callback=${APP}/failed`,
      {},
      browser,
    );
    expect(started.status, started.text).toBe(302);
    const idpURL = new URL(started.headers.get('location')!);
    const requestXML = inflateRawSync(
      Buffer.from(idpURL.searchParams.get('SAMLRequest')!, 'base64'),
    ).toString();
    return {
      idpURL,
      requestXML,
      requestID: / ID="([^"]+)"/.exec(requestXML)![1]!,
      relayState: idpURL.searchParams.get('RelayState')!,
    };
  };
  /** The IdP's auto-submitting form: a cross-site POST to the ACS. */
  const post = (browser: CookieJar, samlResponse: string, relayState: string | null, org = 'acme') => {
    const form = new URLSearchParams({ SAMLResponse: samlResponse });
    if (relayState !== null) form.set('RelayState', relayState);
    return call(
      `/orgs/${org}/saml/acs`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://idp.test.example' },
        body: form.toString(),
      },
      browser,
    );
  };
  const answer = (started: Started, email: string, extra: Partial<SignedResponseInput> = {}) =>
    signedResponse({
      spEntityID: SP,
      acsURL: ACS,
      requestID: started.requestID,
      email,
      now: t.clock.now(),
      ...extra,
    });
  const errorOf = (location: string | null) => {
    const url = new URL(location!);
    return {
      target: `${url.origin}${url.pathname}`,
      code: url.searchParams.get('sso_error'),
      message: url.searchParams.get('sso_error_message'),
    };
  };

  beforeAll(async () => {
    t = await startTestServer(database, {
      env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_TRUSTED_ORIGINS: APP, PYLON_PUBLIC_URL: PUBLIC },
    });
    owner = (await verifiedUser('owner@acme.test')).token;
    for (const id of ['acme', 'beta']) {
      expect((await call('/orgs', as(owner, 'POST', { name: id, id }))).status).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('configuration', () => {
    it('refuses missing fields, plain-http SSO URLs, an owner default role and what is not a certificate', async () => {
      const put = (body: unknown) => call('/orgs/acme/saml', as(owner, 'PUT', body));
      const missing = await put({ idp_sso_url: IDP_SSO_URL });
      expect([missing.status, missing.body.error?.code]).toEqual([400, 'MISSING_FIELDS']);
      expect(missing.body.error?.message).toContain('idp_entity_id');
      const insecure = await put(samlConfig({ idp_sso_url: 'http://idp.example.com/sso' }));
      expect([insecure.status, insecure.body.error?.code]).toEqual([400, 'INSECURE_SSO_URL']);
      const role = await put(samlConfig({ default_role: 'owner' }));
      expect([role.status, role.body.error?.code]).toEqual([400, 'BAD_DEFAULT_ROLE']);
      const notCert = await put(
        samlConfig({ idp_x509_cert_pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }),
      );
      expect([notCert.status, notCert.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
      const freemail = await put(samlConfig({ email_domains: ['gmail.com'] }));
      expect([freemail.status, freemail.body.error?.code]).toEqual([400, 'DOMAIN_BLOCKLISTED']);
      expect((await call('/orgs/acme/saml', as(owner))).body.error?.code).toBe('SSO_NOT_CONFIGURED');
    });

    it('stores the connection, shows it with what to register at the IdP, and removes it', async () => {
      // The certificate without its PEM armour, as some consoles copy it.
      const bare = IDP_CERT.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
      const saved = await call(
        '/orgs/beta/saml',
        as(owner, 'PUT', samlConfig({ idp_x509_cert_pem: bare, email_domains: ['beta.test'] })),
      );
      expect(saved.status, saved.text).toBe(200);
      expect(saved.body).toMatchObject({
        org_id: 'beta',
        kind: 'saml',
        idp_entity_id: IDP_ENTITY_ID,
        idp_sso_url: IDP_SSO_URL,
        default_role: 'member',
        email_domains: ['beta.test'],
        email_attribute: null,
        name_attribute: 'displayName',
        sp_entity_id: `${PUBLIC}/api/auth/orgs/beta/saml/metadata`,
        acs_url: `${PUBLIC}/api/auth/orgs/beta/saml/acs`,
      });
      expect(saved.body.idp_x509_cert_pem).toContain('-----BEGIN CERTIFICATE-----');
      expect(saved.body.idp_cert_sha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      const removed = await call('/orgs/beta/saml', as(owner, 'DELETE'));
      expect(removed.body).toEqual({ org_id: 'beta', kind: 'saml', removed: true });
      expect((await call('/orgs/beta/saml', as(owner))).body.error?.code).toBe('SSO_NOT_CONFIGURED');
      expect((await call('/orgs/beta/saml/start?callback=' + APP)).body.error?.code).toBe(
        'SSO_NOT_CONFIGURED',
      );
    });

    it('configures acme for the sign-in tests', async () => {
      const saved = await call('/orgs/acme/saml', as(owner, 'PUT', samlConfig()));
      expect(saved.status, saved.text).toBe(200);
    });
  });

  it('serves the SP metadata: entity ID, the HTTP-POST ACS, emailAddress NameID, signed assertions wanted', async () => {
    const metadata = await call('/orgs/acme/saml/metadata');
    expect(metadata.status).toBe(200);
    expect(metadata.headers.get('content-type')).toContain('application/samlmetadata+xml');
    expect(metadata.text).toContain(`entityID="${SP}"`);
    expect(metadata.text).toContain(
      `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${ACS}"`,
    );
    expect(metadata.text).toContain('WantAssertionsSigned="true"');
    expect((await call('/orgs/Not_An_Org/saml/metadata')).status).toBe(404);
  });

  it('signs a person in: start → IdP → signed response posted to the ACS → session → /me, joined as member', async () => {
    const browser = new CookieJar();
    const started = await start(browser);
    expect(`${started.idpURL.origin}${started.idpURL.pathname}`).toBe('https://idp.test.example/sso/saml');
    expect(started.idpURL.searchParams.get('app')).toBe('pylon');
    expect(started.requestXML).toContain(`Destination="${IDP_SSO_URL.replace('&', '&amp;')}"`);
    expect(started.requestXML).toContain(`AssertionConsumerServiceURL="${ACS}"`);
    expect(started.requestXML).toContain(`<saml:Issuer>${SP}</saml:Issuer>`);

    const response = answer(started, 'alice@acme.test', {
      assertion: { attributes: { displayName: 'Alice A.' } },
    });
    const done = await post(browser, response.base64, started.relayState);
    expect(done.status, done.text).toBe(302);
    expect(done.headers.get('location')).toBe(`${APP}/done`);
    const me = await call('/me', {}, browser);
    expect(me.body).toMatchObject({ email: 'alice@acme.test', emailVerified: true, isGuest: false });
    const members = await call('/orgs/acme/members', as(ADMIN));
    expect(members.body).toEqual(
      expect.arrayContaining([expect.objectContaining({ email: 'alice@acme.test', role: 'member' })]),
    );
    const signIns = await t.storage.db
      .selectFrom('audit_events')
      .select('detail')
      .where('action', '=', 'auth.sign_in')
      .where('actor_id', '=', me.body.userId as string)
      .execute();
    expect(signIns.map((row) => JSON.parse(String(row.detail)).method)).toEqual(['org_sso']);
  });

  it('refuses a replayed response: its request is used up, and a new request is not what it answers', async () => {
    const browser = new CookieJar();
    const started = await start(browser);
    const response = answer(started, 'replay@acme.test');
    expect((await post(browser, response.base64, started.relayState)).headers.get('location')).toBe(
      `${APP}/done`,
    );
    const again = await post(browser, response.base64, started.relayState);
    expect([again.status, again.body.error?.code]).toEqual([403, 'INVALID_SSO_STATE']);
    const restarted = await start(browser);
    const replayed = await post(browser, response.base64, restarted.relayState);
    expect(errorOf(replayed.headers.get('location'))).toMatchObject({
      target: `${APP}/failed`,
      code: 'INVALID_SAML_RESPONSE',
    });
  });

  it('refuses a response to another browser’s request, and leaves that browser’s sign-in usable', async () => {
    const alice = new CookieJar();
    const mallory = new CookieJar();
    const aliceStarted = await start(alice);
    const malloryStarted = await start(mallory);
    const forAlice = answer(aliceStarted, 'alice2@acme.test');
    // Mallory posts Alice's response with her own RelayState: it answers another request.
    const crossed = await post(mallory, forAlice.base64, malloryStarted.relayState);
    expect(errorOf(crossed.headers.get('location'))).toMatchObject({ code: 'INVALID_SAML_RESPONSE' });
    expect(errorOf(crossed.headers.get('location')).message).toContain('this browser started');
    // …or with Alice's RelayState: her browser has no flow cookie for it.
    const stolen = await post(mallory, forAlice.base64, aliceStarted.relayState);
    expect([stolen.status, stolen.body.error?.code]).toEqual([403, 'INVALID_SSO_STATE']);
    expect((await call('/me', {}, mallory)).body.userId).toBeNull();
    const done = await post(alice, forAlice.base64, aliceStarted.relayState);
    expect(done.headers.get('location')).toBe(`${APP}/done`);
  });

  it('refuses an unsolicited (IdP-initiated) response', async () => {
    const browser = new CookieJar();
    const started = await start(browser);
    const unsolicited = answer(started, 'idp-initiated@acme.test', {
      assertion: { inResponseTo: null },
      response: { inResponseTo: null },
    });
    const noRelay = await post(browser, unsolicited.base64, null);
    expect([noRelay.status, noRelay.body.error?.code]).toEqual([403, 'INVALID_SSO_STATE']);
    // Posted by a person's browser (the HTTP-POST binding is a navigation), it is a page instead.
    const page = await call('/orgs/acme/saml/acs', {
      method: 'POST',
      headers: {
        accept: 'text/html',
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://idp.test.example',
      },
      body: new URLSearchParams({ SAMLResponse: unsolicited.base64 }).toString(),
    });
    expect([page.status, page.headers.get('content-type')]).toEqual([403, 'text/html; charset=UTF-8']);
    expect(page.text.replace(/<[^>]*>/g, '')).toContain('Error code: INVALID_SSO_STATE');
  });

  it('refuses a body over 64 KiB before parsing it', async () => {
    const browser = new CookieJar();
    const started = await start(browser);
    const huge = await post(browser, 'A'.repeat(64 * 1024), started.relayState);
    expect([huge.status, huge.body.error?.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('refuses callbacks and error callbacks outside the trusted origins', async () => {
    const evil = await call(
      `/orgs/acme/saml/start?callback=${encodeURIComponent('https://evil.example/done')}`,
    );
    expect([evil.status, evil.body.error?.code]).toEqual([403, 'UNTRUSTED_REDIRECT']);
    const evilError = await call(
      `/orgs/acme/saml/start?callback=${APP}/done&error_callback=${encodeURIComponent('https://evil.example/x')}`,
    );
    expect([evilError.status, evilError.body.error?.code]).toEqual([403, 'UNTRUSTED_REDIRECT']);
    expect(evilError.headers.get('set-cookie')).toBeNull();
  });

  /** Each attack answers the browser's own request, so only the attack itself can be the reason. */
  const attacks: [string, SAMLFailureReason, (started: Started, now: number) => string][] = [
    [
      'forged signature (another key)',
      'signature_invalid',
      (s) => answer(s, 'a@acme.test', { key: ATTACKER_KEY, cert: ATTACKER_CERT }).base64,
    ],
    [
      'XSW: an unsigned assertion placed before a signed one',
      'assertion_count',
      (s, now) => {
        const base = { spEntityID: SP, acsURL: ACS, requestID: s.requestID, email: 'mallory@acme.test', now };
        const { a, r } = goodFields(base);
        const signed = signElement(assertionXML(a), a.assertionID);
        const forged = assertionXML({ ...a, assertionID: '_forged', nameIDXML: 'owner@acme.test' });
        return toBase64(responseXML(r, IDP_ENTITY_ID, [forged, signed]));
      },
    ],
    [
      'expired assertion',
      'expired',
      (s, now) =>
        answer(s, 'a@acme.test', { assertion: { notBefore: now - 900_000, notOnOrAfter: now - 600_000 } })
          .base64,
    ],
    [
      'NotBefore in the future',
      'not_yet_valid',
      (s, now) => answer(s, 'a@acme.test', { assertion: { notBefore: now + 600_000 } }).base64,
    ],
    [
      'wrong Audience',
      'audience_mismatch',
      (s) => answer(s, 'a@acme.test', { assertion: { audience: 'https://other-sp.example' } }).base64,
    ],
    [
      'wrong Recipient',
      'recipient_mismatch',
      (s) =>
        answer(s, 'a@acme.test', { assertion: { recipient: `${PUBLIC}/api/auth/orgs/beta/saml/acs` } })
          .base64,
    ],
    [
      'wrong Destination',
      'destination_mismatch',
      (s) => answer(s, 'a@acme.test', { response: { destination: 'https://other-sp.example/acs' } }).base64,
    ],
    [
      'wrong Issuer',
      'issuer_mismatch',
      (s) => answer(s, 'a@acme.test', { assertion: { issuer: 'https://other-idp.example' } }).base64,
    ],
    [
      'a comment inside the NameID',
      'comment_in_assertion',
      (s) => {
        const { xml } = answer(s, 'owner@acme.test.evil.example');
        return toBase64(xml.replace('owner@acme.test.evil.example', 'owner@acme.test<!---->.evil.example'));
      },
    ],
    [
      'an honestly signed response padded with 2 000 elements',
      'too_complex',
      (s) =>
        toBase64(
          answer(s, 'a@acme.test').xml.replace(
            '<samlp:Status>',
            `<samlp:Extensions>${'<x/>'.repeat(2000)}</samlp:Extensions><samlp:Status>`,
          ),
        ),
    ],
    [
      'a DOCTYPE',
      'doctype_forbidden',
      (s) =>
        toBase64(
          `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${answer(s, 'a@acme.test').xml}`,
        ),
    ],
  ];
  it.each(attacks)('refuses %s (%s): back to the error callback, no session', async (_name, reason, make) => {
    const browser = new CookieJar();
    const started = await start(browser);
    const refused = await post(browser, make(started, t.clock.now()), started.relayState);
    expect(refused.status, refused.text).toBe(302);
    expect(errorOf(refused.headers.get('location'))).toMatchObject({
      target: `${APP}/failed`,
      code: 'INVALID_SAML_RESPONSE',
      message: new SAMLValidationError(reason).message,
    });
    expect(refused.headers.getSetCookie().some((line) => line.startsWith('pylon_session='))).toBe(false);
    expect((await call('/me', {}, browser)).body.userId).toBeNull();
  });

  it('uses an assertion ID once until it expires, per org (saml_assertions)', async () => {
    const store = new SAMLStore(t.storage.db, secureRandom);
    const now = t.clock.now();
    expect(await store.consumeAssertion('acme', '_once', now + 60_000, now)).toBe(true);
    expect(await store.consumeAssertion('acme', '_once', now + 60_000, now)).toBe(false);
    expect(await store.consumeAssertion('beta', '_once', now + 60_000, now)).toBe(true);
    // After its expiry the record goes: the assertion's own time window refuses it by then.
    expect(await store.consumeAssertion('acme', '_once', now + 120_000, now + 60_000)).toBe(true);
  });
});
