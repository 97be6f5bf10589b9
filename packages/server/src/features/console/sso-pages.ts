import { PylonError } from '@pylon/core';
import type { OIDCConnectionView, OrgView } from '@pylon/core/wire';
import { z } from 'zod';
import type { AppContext } from '../../http/context.js';
import { defineRoute } from '../../http/route-table.js';
import { html } from '../../pages/html.js';
import { samlEndpoints } from '../sso/saml-config.js';
import { SSO_DEFAULT_ROLES, ssoRedirectURI } from '../sso/sso-rules.js';
import type { ConsoleDeps, PageRenderer } from './console-deps.js';
import { consoleCSRFToken } from './csrf.js';
import { csrfField, orgPath } from './layout.js';

/** `GET /api/auth/orgs/:id/saml` as the console shows it. */
interface SAMLView {
  idp_entity_id: string;
  idp_sso_url: string;
  idp_cert_sha256: string;
  default_role: string;
  email_domains: string[];
  email_attribute: string | null;
  name_attribute: string | null;
}

/** The settings a connection's form carries besides its own fields, as its PUT takes them. */
interface Kept {
  default_role: string;
  email_attribute?: string | null;
  name_attribute?: string | null;
}

const domains = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((domain) => domain.trim())
    .filter((domain) => domain !== '');

/**
 * `default_role`: the roles the SSO API accepts (never owner), the current one selected. Only
 * owners see the forms, as only owners may configure SSO.
 */
const roleSelect = (id: string, selected = 'member') =>
  html`<div><label for="${id}">New people join as</label><select id="${id}" name="default_role">${SSO_DEFAULT_ROLES.map((role) => html`<option value="${role}"${role === selected ? html` selected` : ''}>${role}</option>`)}</select></div>`;

/**
 * What the PUT is sent for the settings the form carries. A field the post lacks (a page rendered
 * before the form had it) keeps the connection's current value rather than the API's default; an
 * attribute sent empty is cleared.
 */
function kept(
  body: { default_role?: string; email_attribute?: string; name_attribute?: string },
  current: Kept | null,
): Kept {
  const attribute = (sent: string | undefined, now: string | null | undefined) =>
    sent === undefined ? (now ?? null) : sent.trim() || null;
  return {
    default_role: body.default_role ?? current?.default_role ?? 'member',
    email_attribute: attribute(body.email_attribute, current?.email_attribute),
    name_attribute: attribute(body.name_attribute, current?.name_attribute),
  };
}

/**
 * An org's single sign-on (`/console/orgs/:id/sso`): its OIDC and SAML connections as any member
 * may read them, what to give the identity provider (SAML metadata, ACS URL, OIDC redirect URI),
 * and for owners the forms that configure or remove each (the SSO routes' own checks).
 */
export function ssoPages(deps: ConsoleDeps) {
  const { api, services, form, post, render, guarded } = deps;

  /** A connection, or null where the org has none of that kind (the API's SSO_NOT_CONFIGURED). */
  async function connection<T>(c: AppContext, path: string): Promise<T | null> {
    try {
      return await api.call<T>(c, 'auth', 'get', path);
    } catch (error) {
      if (error instanceof PylonError && error.code === 'SSO_NOT_CONFIGURED') return null;
      throw error;
    }
  }

  const copyable = (id: string, label: string, value: string) =>
    html`<div><label for="${id}">${label}</label><input id="${id}" value="${value}" readonly></div>`;

  const ssoPage: PageRenderer = (c, outcome = {}, status = 200) =>
    guarded(c, { section: 'sso' }, async () => {
      const org = await api.call<OrgView>(c, 'auth', 'get', '/orgs/:id');
      const oidc = await connection<OIDCConnectionView>(c, '/orgs/:id/sso');
      const saml = await connection<SAMLView>(c, '/orgs/:id/saml');
      const owner = org.role === 'owner';
      const csrf = consoleCSRFToken(c, services);
      // What the identity provider is given: the same URLs the SSO routes publish and check.
      const sp = samlEndpoints(services.config, org.id);
      const redirectURI = ssoRedirectURI(services.config, org.id);
      const remove = (kind: 'oidc' | 'saml') =>
        html`<form method="post" action="${orgPath(org.id, `/sso/${kind}/remove`)}" data-confirm="Remove this connection? Its people can no longer sign in through it.">${csrfField(csrf)}<button type="submit" class="danger">Remove the ${kind === 'oidc' ? 'OIDC' : 'SAML'} connection</button></form>`;
      return render(c, {
        title: `${org.name}: single sign-on`,
        place: { section: 'sso', org },
        status,
        ...outcome,
        body: html`<section aria-labelledby="saml-h"><h2 id="saml-h">SAML 2.0</h2>
${
  sp
    ? html`<p>Give your identity provider these; the entity ID is also the URL of this service provider's metadata.</p>
${copyable('sp-entity', 'Entity ID and metadata URL', sp.spEntityID)}
${copyable('sp-acs', 'Assertion consumer service URL', sp.acsURL)}`
    : html`<p class="error" role="alert">PYLON_PUBLIC_URL is not an https URL, so SSO cannot be offered.</p>`
}
${
  saml
    ? html`<p>Connected to <strong>${saml.idp_entity_id}</strong> (${saml.idp_sso_url}); certificate SHA-256 <code>${saml.idp_cert_sha256}</code>; new people join as ${saml.default_role}; domains: ${saml.email_domains.join(', ') || 'none'}; email from ${saml.email_attribute ? html`attribute <code>${saml.email_attribute}</code>` : 'the NameID'}; name from ${saml.name_attribute ? html`attribute <code>${saml.name_attribute}</code>` : 'no attribute'}.</p>`
    : html`<p class="muted">No SAML connection.</p>`
}
${
  owner
    ? html`<form method="post" action="${orgPath(org.id, '/sso/saml')}" class="grid">${csrfField(csrf)}
<div><label for="saml-entity">IdP entity ID</label><input id="saml-entity" name="idp_entity_id" required value="${saml?.idp_entity_id ?? ''}"></div>
<div><label for="saml-url">IdP sign-in URL (https)</label><input id="saml-url" name="idp_sso_url" type="url" required value="${saml?.idp_sso_url ?? ''}"></div>
<div><label for="saml-cert">IdP signing certificate (PEM)</label><textarea id="saml-cert" name="idp_x509_cert_pem" rows="4" required></textarea></div>
<div><label for="saml-domains">Email domains (comma-separated)</label><input id="saml-domains" name="email_domains" value="${saml?.email_domains.join(', ') ?? ''}"></div>
${roleSelect('saml-role', saml?.default_role)}
<div><label for="saml-email-attr">Email attribute (blank: the NameID is the email)</label><input id="saml-email-attr" name="email_attribute" maxlength="1024" value="${saml?.email_attribute ?? ''}"></div>
<div><label for="saml-name-attr">Display-name attribute (optional)</label><input id="saml-name-attr" name="name_attribute" maxlength="1024" value="${saml?.name_attribute ?? ''}"></div>
<div><button type="submit">Save SAML connection</button></div>
</form>${saml ? remove('saml') : ''}`
    : ''
}</section>
<section aria-labelledby="oidc-h"><h2 id="oidc-h">OpenID Connect</h2>
${redirectURI ? copyable('oidc-redirect', 'Redirect URI to register with the provider', redirectURI) : ''}
${
  oidc
    ? html`<p>Connected to <strong>${oidc.issuer_url}</strong> as client <code>${oidc.client_id}</code> (secret set); new people join as ${oidc.default_role}; domains: ${oidc.email_domains.join(', ') || 'none'}.</p>`
    : html`<p class="muted">No OIDC connection.</p>`
}
${
  owner
    ? html`<form method="post" action="${orgPath(org.id, '/sso/oidc')}" class="grid">${csrfField(csrf)}
<div><label for="oidc-issuer">Issuer URL</label><input id="oidc-issuer" name="issuer_url" type="url" required value="${oidc?.issuer_url ?? ''}"></div>
<div><label for="oidc-client">Client ID</label><input id="oidc-client" name="client_id" required value="${oidc?.client_id ?? ''}"></div>
<div><label for="oidc-secret">Client secret</label><input id="oidc-secret" name="client_secret" type="password" autocomplete="off" required></div>
<div><label for="oidc-domains">Email domains (comma-separated)</label><input id="oidc-domains" name="email_domains" value="${oidc?.email_domains.join(', ') ?? ''}"></div>
${roleSelect('oidc-role', oidc?.default_role)}
<div><button type="submit">Save OIDC connection</button></div>
</form>${oidc ? remove('oidc') : ''}`
    : html`<p class="muted">Only owners configure single sign-on.</p>`
}</section>`,
      });
    });

  const remover = (kind: 'oidc' | 'saml') =>
    post(
      {
        path: `/console/orgs/:id/sso/${kind}/remove`,
        summary: `Admin console: remove the org's ${kind === 'oidc' ? 'OIDC' : 'SAML'} connection (as DELETE /api/auth/orgs/:id/${kind === 'oidc' ? 'sso' : 'saml'})`,
        body: form({}),
        page: ssoPage,
      },
      async (c) => {
        await api.call(c, 'auth', 'delete', kind === 'oidc' ? '/orgs/:id/sso' : '/orgs/:id/saml');
        return ssoPage(c, { notice: 'Connection removed.' });
      },
    );

  return [
    defineRoute({
      method: 'get',
      path: '/console/orgs/:id/sso',
      summary: 'Admin console: the org’s SSO connections, the SP metadata to copy, and (owners) their forms',
      tags: ['console'],
      responses: {
        200: { description: 'HTML' },
        401: { description: 'HTML: not signed in' },
        404: { description: 'HTML: no such org, or not a member' },
      },
      handler: (c) => ssoPage(c),
    }),
    post(
      {
        path: '/console/orgs/:id/sso/saml',
        summary: 'Admin console: configure the org’s SAML connection (as PUT /api/auth/orgs/:id/saml)',
        body: form({
          idp_entity_id: z.string().max(2048),
          idp_sso_url: z.string().max(2048),
          idp_x509_cert_pem: z.string().max(20_000),
          email_domains: z.string().max(30_000).optional(),
          default_role: z.string().max(32).optional(),
          email_attribute: z.string().max(1024).optional(),
          name_attribute: z.string().max(1024).optional(),
        }),
        page: ssoPage,
      },
      async (c, body) => {
        const complete = [body.default_role, body.email_attribute, body.name_attribute].every(
          (field) => field !== undefined,
        );
        const current = complete ? null : await connection<SAMLView>(c, '/orgs/:id/saml');
        await api.call(c, 'auth', 'put', '/orgs/:id/saml', {
          body: {
            idp_entity_id: body.idp_entity_id,
            idp_sso_url: body.idp_sso_url,
            idp_x509_cert_pem: body.idp_x509_cert_pem,
            email_domains: domains(body.email_domains),
            ...kept(body, current),
          },
        });
        return ssoPage(c, { notice: 'SAML connection saved.' });
      },
    ),
    post(
      {
        path: '/console/orgs/:id/sso/oidc',
        summary: 'Admin console: configure the org’s OIDC connection (as PUT /api/auth/orgs/:id/sso)',
        body: form({
          issuer_url: z.string().max(2048),
          client_id: z.string().max(1024),
          client_secret: z.string().max(4096),
          email_domains: z.string().max(30_000).optional(),
          default_role: z.string().max(32).optional(),
        }),
        page: ssoPage,
      },
      async (c, body) => {
        const current =
          body.default_role === undefined ? await connection<OIDCConnectionView>(c, '/orgs/:id/sso') : null;
        await api.call(c, 'auth', 'put', '/orgs/:id/sso', {
          body: {
            issuer_url: body.issuer_url,
            client_id: body.client_id,
            client_secret: body.client_secret,
            email_domains: domains(body.email_domains),
            default_role: kept(body, current).default_role,
          },
        });
        return ssoPage(c, { notice: 'OIDC connection saved.' });
      },
    ),
    remover('oidc'),
    remover('saml'),
  ];
}
