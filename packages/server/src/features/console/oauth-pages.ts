import type { CreateOAuthClientResponse, OAuthClientList } from '@pylon/core/wire';
import { z } from 'zod';
import { defineRoute } from '../../http/route-table.js';
import { html } from '../../pages/html.js';
import { type ConsoleDeps, type PageRenderer, postedValue } from './console-deps.js';
import { consoleCSRFToken } from './csrf.js';
import { csrfField, orgPath, when } from './layout.js';

/**
 * An org's OAuth clients (`/console/orgs/:id/oauth`): the pre-registered ones an admin made and
 * those registered by RFC 7591, each deletable, and a form to register one (a confidential
 * client's secret is shown once). Every read and form is a call of `/oauth/clients*` for the org.
 */
export function oauthPages(deps: ConsoleDeps) {
  const { api, services, form, post, enterOrg, render, guarded } = deps;

  const clientsPage: PageRenderer = (c, outcome = {}, status = 200) =>
    guarded(c, { section: 'oauth' }, async () => {
      const org = await enterOrg(c);
      const { clients } = await api.call<OAuthClientList>(c, 'rbac', 'get', '/oauth/clients');
      const csrf = consoleCSRFToken(c, services);
      return render(c, {
        title: `${org.name}: OAuth clients`,
        place: { section: 'oauth', org },
        status,
        ...outcome,
        body: html`<section aria-labelledby="clients-h"><h2 id="clients-h">OAuth clients</h2>
<p class="muted">Apps and MCP clients that sign people in through this org's issuer. Clients that publish a metadata document (a URL as client id) need no registration.</p>
${
  clients.length === 0
    ? html`<p class="muted">No registered clients.</p>`
    : html`<div class="table"><table><thead><tr><th scope="col">Name</th><th scope="col">Client id</th><th scope="col">Type</th><th scope="col">Redirect URIs</th><th scope="col">Created</th><th scope="col">Action</th></tr></thead><tbody>
${clients.map(
  (
    client,
  ) => html`<tr><td>${client.client_name}</td><td><code>${client.client_id}</code></td><td>${client.confidential ? 'confidential' : 'public'} · ${client.registered_by}</td><td>${client.redirect_uris.join(' ')}</td><td>${when(client.created_at)}</td>
<td><form method="post" action="${orgPath(org.id, `/oauth/${encodeURIComponent(client.client_id)}/delete`)}" class="inline" data-confirm="Delete this client? Its tokens stop working.">${csrfField(csrf)}<button type="submit" class="danger" aria-label="Delete ${client.client_name}">Delete</button></form></td></tr>`,
)}
</tbody></table></div>`
}
</section>
<section aria-labelledby="register-h"><h2 id="register-h">Register a client</h2>
<form method="post" action="${orgPath(org.id, '/oauth')}">
${csrfField(csrf)}
<label for="client-name">Name (shown on the consent page)</label><input id="client-name" name="client_name" required maxlength="200" value="${postedValue(outcome, 'client_name')}">
<label for="client-redirects">Redirect URIs, one per line (https, or http on a loopback host)</label><textarea id="client-redirects" name="redirect_uris" required rows="3">${postedValue(outcome, 'redirect_uris')}</textarea>
<label class="check"><input type="checkbox" name="confidential" value="on"${postedValue(outcome, 'confidential') === 'on' ? html` checked` : ''}> Confidential (a server-side client with a secret)</label>
<button type="submit">Register client</button>
</form></section>`,
      });
    });

  return [
    defineRoute({
      method: 'get',
      path: '/console/orgs/:id/oauth',
      summary: 'Admin console: an org’s OAuth clients (as GET /oauth/clients)',
      tags: ['console'],
      responses: {
        200: { description: 'HTML' },
        401: { description: 'HTML: not signed in' },
        403: { description: 'HTML: not an owner or admin of the org' },
        404: { description: 'HTML: org_not_found' },
      },
      handler: (c) => clientsPage(c),
    }),
    post(
      {
        path: '/console/orgs/:id/oauth',
        summary: 'Admin console: register an OAuth client (as POST /oauth/clients); a secret is shown once',
        body: form({
          client_name: z.string().max(200),
          redirect_uris: z.string().max(20 * 2048),
          confidential: z.literal('on').optional(),
        }),
        page: clientsPage,
      },
      async (c, body) => {
        await enterOrg(c);
        const made = await api.call<CreateOAuthClientResponse>(c, 'rbac', 'post', '/oauth/clients', {
          body: {
            client_name: body.client_name,
            redirect_uris: body.redirect_uris
              .split(/\r?\n/)
              .map((uri) => uri.trim())
              .filter((uri) => uri !== ''),
            confidential: body.confidential === 'on',
          },
        });
        return clientsPage(c, {
          notice: made.client_secret
            ? html`Registered <strong>${made.client_name}</strong>: client id <code id="client-id">${made.client_id}</code>, secret <code id="client-secret">${made.client_secret}</code> — copy it now, it is shown only once.`
            : html`Registered <strong>${made.client_name}</strong>: client id <code id="client-id">${made.client_id}</code>.`,
        });
      },
    ),
    post(
      {
        path: '/console/orgs/:id/oauth/:clientId/delete',
        summary: 'Admin console: delete an OAuth client (as DELETE /oauth/clients/:clientId)',
        body: form({}),
        page: clientsPage,
      },
      async (c) => {
        await enterOrg(c);
        await api.call(c, 'rbac', 'delete', '/oauth/clients/:clientId');
        return clientsPage(c, { notice: 'Client deleted.' });
      },
    ),
  ];
}
