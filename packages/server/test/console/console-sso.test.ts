import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { followShown } from '../support/page-browser.js';
import { startTestIdP, type TestIdP } from '../support/peers/oidc-idp.js';
import { IDP_CERT, IDP_ENTITY_ID } from '../support/peers/saml-idp.js';
import { startTestServer, type TestServer } from '../support/server.js';

const PUBLIC = 'http://localhost:4000';
const IDP_SSO_URL = 'https://idp.test.example/sso/saml';
type Body = Record<string, unknown>;

/**
 * The console's SSO forms carry every setting the SSO API takes: saving a form that was not
 * touched (a certificate or secret rotation) keeps default_role and the SAML attributes as the
 * API set them, changing them in the form changes them, and the audit entry names them.
 */
describe.each(testDatabases)('console SSO forms on $kind', (database) => {
  let t: TestServer;
  let idp: TestIdP;
  let owner: string;

  const api = async (path: string, method = 'GET', body?: unknown, token = owner) => {
    const response = await t.request(`/api/auth${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };
  const signIn = async (email: string) => {
    t.clock.advance(61_000);
    const sent = await api('/magic/send', 'POST', { email }, '');
    return (await api('/magic/verify', 'POST', { email, code: sent.body.dev_code }, '')).body.token as string;
  };
  /** The SSO page as the owner's browser gets it: its HTML and the CSRF cookie it set. */
  const ssoPage = async () => {
    const response = await t.request('/console/orgs/acme/sso', {
      headers: { cookie: `pylon_session=${owner}` },
    });
    const csrf = /pylon_console_csrf=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')![1]!;
    return { html: await response.text(), csrf };
  };
  /** What the browser submits for one form of the page: every named field with its shown value. */
  const formFields = (html: string, action: string) => {
    const form = new RegExp(`<form method="post" action="${action}"[^>]*>([\\s\\S]*?)</form>`).exec(
      html,
    )![1]!;
    const fields: Record<string, string> = {};
    for (const [input] of form.matchAll(/<input[^>]*>/g)) {
      const name = /name="([^"]+)"/.exec(input)?.[1];
      if (name) fields[name] = (/value="([^"]*)"/.exec(input)?.[1] ?? '').replaceAll('&amp;', '&');
    }
    for (const [, name, options] of form.matchAll(/<select[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) {
      fields[name!] =
        /<option value="([^"]+)" selected>/.exec(options!)?.[1] ??
        /<option value="([^"]+)"/.exec(options!)![1]!;
    }
    for (const [, name] of form.matchAll(/<textarea[^>]*name="([^"]+)"/g)) fields[name!] = '';
    return fields;
  };
  const submit = async (path: string, fields: Record<string, string>, csrf: string) => {
    const response = await t.request(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: PUBLIC,
        cookie: `pylon_session=${owner}; pylon_console_csrf=${csrf}`,
      },
      body: new URLSearchParams({ ...fields, csrf }).toString(),
    });
    const shown = await followShown(t, response, `pylon_session=${owner}; pylon_console_csrf=${csrf}`);
    return { status: shown.status, text: await shown.text() };
  };
  const lastConfigured = async (kind: 'oidc' | 'saml') => {
    const rows = await t.storage.db
      .selectFrom('audit_events')
      .select(['detail'])
      .where('org', '=', 'acme')
      .where('action', '=', 'sso.configured')
      .execute();
    const details = rows
      .map((row) => JSON.parse(row.detail!) as Body)
      .filter((detail) => detail.kind === kind);
    return details.at(-1)!;
  };

  beforeAll(async () => {
    idp = await startTestIdP(`${PUBLIC}/api/auth/orgs/acme/sso/callback`);
    t = await startTestServer(database, { env: { PYLON_PUBLIC_URL: PUBLIC } });
    owner = await signIn('owner@acme.test');
    expect((await api('/orgs', 'POST', { name: 'Acme', id: 'acme' })).status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('SAML: a certificate rotation in the form keeps default_role and the attributes; the form changes them', async () => {
    const configured = await api('/orgs/acme/saml', 'PUT', {
      idp_entity_id: IDP_ENTITY_ID,
      idp_sso_url: IDP_SSO_URL,
      idp_x509_cert_pem: IDP_CERT,
      email_domains: ['acme.test'],
      default_role: 'admin',
      name_attribute: 'displayName',
      email_attribute: 'mail',
    });
    expect(configured.status).toBe(200);
    const before = await ssoPage();
    // Pre-filled with the current values; the role select offers what the API accepts, never owner.
    expect(before.html).toContain('<option value="admin" selected>admin</option>');
    expect(before.html).not.toContain('<option value="owner"');
    expect(before.html).toContain('name="name_attribute" maxlength="1024" value="displayName"');
    expect(before.html).toContain('name="email_attribute" maxlength="1024" value="mail"');

    // The rotation: the certificate pasted again, nothing else touched.
    const fields = formFields(before.html, '/console/orgs/acme/sso/saml');
    const saved = await submit(
      '/console/orgs/acme/sso/saml',
      { ...fields, idp_x509_cert_pem: IDP_CERT },
      before.csrf,
    );
    expect(saved.status).toBe(200);
    expect(saved.text).toContain('SAML connection saved.');
    expect((await api('/orgs/acme/saml')).body).toMatchObject({
      default_role: 'admin',
      name_attribute: 'displayName',
      email_attribute: 'mail',
      email_domains: ['acme.test'],
    });
    expect(await lastConfigured('saml')).toMatchObject({
      default_role: 'admin',
      name_attribute: 'displayName',
      email_attribute: 'mail',
    });

    // Changed in the form: a new role, a new name attribute, the email attribute cleared.
    const changed = await submit(
      '/console/orgs/acme/sso/saml',
      {
        ...fields,
        idp_x509_cert_pem: IDP_CERT,
        default_role: 'member',
        name_attribute: 'cn',
        email_attribute: '',
      },
      before.csrf,
    );
    expect(changed.status).toBe(200);
    expect((await api('/orgs/acme/saml')).body).toMatchObject({
      default_role: 'member',
      name_attribute: 'cn',
      email_attribute: null,
    });
    const detail = await lastConfigured('saml');
    expect(detail).toMatchObject({ default_role: 'member', name_attribute: 'cn', email_attribute: null });
    expect(JSON.stringify(detail)).not.toContain('BEGIN CERTIFICATE');

    // A post from a page rendered before the form had these fields keeps them too.
    await api('/orgs/acme/saml', 'PUT', {
      idp_entity_id: IDP_ENTITY_ID,
      idp_sso_url: IDP_SSO_URL,
      idp_x509_cert_pem: IDP_CERT,
      default_role: 'admin',
      name_attribute: 'displayName',
    });
    const added = ['default_role', 'name_attribute', 'email_attribute'];
    const stale = Object.fromEntries(Object.entries(fields).filter(([name]) => !added.includes(name)));
    await submit('/console/orgs/acme/sso/saml', { ...stale, idp_x509_cert_pem: IDP_CERT }, before.csrf);
    expect((await api('/orgs/acme/saml')).body).toMatchObject({
      default_role: 'admin',
      name_attribute: 'displayName',
    });

    // The API's refusal of owner answers through the page.
    const refused = await submit(
      '/console/orgs/acme/sso/saml',
      { ...fields, idp_x509_cert_pem: IDP_CERT, default_role: 'owner' },
      before.csrf,
    );
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('(BAD_DEFAULT_ROLE)');
  });

  it('OIDC: a new client secret saved in the form keeps default_role; the form changes it', async () => {
    const configured = await api('/orgs/acme/sso', 'PUT', {
      issuer_url: idp.issuer,
      client_id: idp.clientId,
      client_secret: idp.clientSecret,
      email_domains: ['oidc.acme.test'],
      default_role: 'admin',
    });
    expect(configured.status).toBe(200);
    const before = await ssoPage();
    const fields = formFields(before.html, '/console/orgs/acme/sso/oidc');
    expect(fields).toMatchObject({ client_id: idp.clientId, default_role: 'admin', client_secret: '' });

    const saved = await submit(
      '/console/orgs/acme/sso/oidc',
      { ...fields, client_secret: 'rotated' },
      before.csrf,
    );
    expect(saved.status).toBe(200);
    expect(saved.text).toContain('OIDC connection saved.');
    expect((await api('/orgs/acme/sso')).body).toMatchObject({
      default_role: 'admin',
      email_domains: ['oidc.acme.test'],
    });
    expect(await lastConfigured('oidc')).toMatchObject({ default_role: 'admin' });

    const changed = await submit(
      '/console/orgs/acme/sso/oidc',
      { ...fields, client_secret: 'rotated', default_role: 'member' },
      before.csrf,
    );
    expect(changed.status).toBe(200);
    expect((await api('/orgs/acme/sso')).body).toMatchObject({ default_role: 'member' });
    const detail = await lastConfigured('oidc');
    expect(detail).toMatchObject({ default_role: 'member' });
    expect(JSON.stringify(detail)).not.toContain('rotated');
  });
});
