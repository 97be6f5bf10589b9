import type { SessionList, UserPage } from '@pylon/core/wire';
import { z } from 'zod';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import { KEY_ROTATION_DELAY_SECONDS } from '../../config/defaults.js';
import type { AppContext } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import { defineRoute } from '../../http/route-table.js';
import { html } from '../../pages/html.js';
import { clientIP } from '../identity/route-helpers.js';
import { type DeploymentAdmins, requireDeploymentAdmin } from '../rbac/deployment-admin.js';
import type { ConsoleDeps, PageRenderer } from './console-deps.js';
import { consoleCSRFToken } from './csrf.js';
import { csrfField, when } from './layout.js';

const UsersQuery = z.object({ q: z.string().max(320).optional(), cursor: z.string().max(400).optional() });

/**
 * The deployment (`/console/deployment`), for deployment admins: users, searched and paged as
 * `GET /api/auth/users` answers them (its own deployment-admin check), and the signing keys, with a
 * button that publishes a new one exactly as `pylon-server keys rotate` does, behind the same
 * deployment-admin rule (`requireDeploymentAdmin`).
 */
export function deploymentPages(deps: ConsoleDeps, admins: DeploymentAdmins) {
  const { api, services, form, post, render, guarded } = deps;

  const deploymentPage: PageRenderer = (c, outcome = {}, status = 200) =>
    guarded(c, { section: 'deployment' }, async () => {
      const q = c.req.query('q') ?? '';
      const cursor = c.req.query('cursor');
      const page = await api.call<UserPage>(c, 'auth', 'get', '/users', {
        query: { limit: '50', ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) },
      });
      const keys = await services.keys.publicKeys();
      const csrf = consoleCSRFToken(c, services);
      const next = page.next_cursor
        ? `/console/deployment?${new URLSearchParams({ ...(q ? { q } : {}), cursor: page.next_cursor })}`
        : null;
      return render(c, {
        title: 'Deployment',
        place: { section: 'deployment' },
        status,
        ...outcome,
        body: html`<section aria-labelledby="users-h"><h2 id="users-h">Users</h2>
<form method="get" action="/console/deployment" class="grid">
<div><label for="user-q">Search by email or name</label><input id="user-q" name="q" type="search" value="${q}"></div>
<div><button type="submit">Search</button></div>
</form>
<div class="table"><table><thead><tr><th scope="col">Email</th><th scope="col">Verified</th><th scope="col">Name</th><th scope="col">Created</th><th scope="col">State</th><th scope="col">Action</th></tr></thead><tbody>
${page.users.map((user) => {
  const verb = user.disabled ? 'enable' : 'disable';
  return html`<tr><td>${user.email ?? user.user_id}</td><td>${user.email_verified ? 'yes' : 'no'}</td><td>${user.display_name ?? ''}</td><td>${when(user.created_at * 1000)}</td><td>${user.disabled ? 'disabled' : 'active'}</td><td><a href="/console/deployment/users/${user.user_id}">Sessions</a> <form method="post" action="/console/deployment/users/${user.user_id}/${verb}" data-confirm="${user.disabled ? '' : `Disable ${user.email ?? user.user_id}? They are signed out everywhere at once.`}">${csrfField(csrf)}<button type="submit" class="small${user.disabled ? '' : ' danger'}" aria-label="${user.disabled ? 'Enable' : 'Disable'} ${user.email ?? user.user_id}">${user.disabled ? 'Enable' : 'Disable'}</button></form></td></tr>`;
})}
</tbody></table></div>
${next ? html`<p><a href="${next}" rel="next">Next page</a></p>` : ''}
<p class="muted">Disabling a user signs them out everywhere at once, ends their API keys and the apps they connected, and refuses their sign-ins until they are enabled again; enabling brings none of those back. Their account and data are kept.</p>
</section>
<section aria-labelledby="keys-h"><h2 id="keys-h">Signing keys</h2>
<p>Published at <a href="/.well-known/pylon-keys">/.well-known/pylon-keys</a>; scoped tokens are signed with the newest active one.</p>
<ul>${keys.map((key) => html`<li><code>${key.kid}</code></li>`)}</ul>
<form method="post" action="/console/deployment/keys/rotate" data-confirm="Rotate the signing key? A new key is published now and signs once verifiers have it.">${csrfField(csrf)}<button type="submit">Rotate signing key</button></form>
<p class="muted">A new key is published now and signs after ${String(KEY_ROTATION_DELAY_SECONDS)} seconds, once every verifier's cached key set has it.</p>
</section>`,
      });
    });

  const sessionsPage: PageRenderer = (c, outcome = {}, status = 200) =>
    guarded(c, { section: 'deployment' }, async () => {
      const sessions = await api.call<SessionList>(c, 'auth', 'get', '/users/:id/sessions');
      return render(c, {
        title: 'Sessions',
        place: { section: 'deployment' },
        status,
        ...outcome,
        body: html`<section aria-labelledby="sessions-h"><h2 id="sessions-h">Live sessions of ${c.req.param('id') ?? ''}</h2>
${
  sessions.length === 0
    ? html`<p>No live sessions.</p>`
    : html`<div class="table"><table><thead><tr><th scope="col">Kind</th><th scope="col">Device</th><th scope="col">IP</th><th scope="col">Created</th><th scope="col">Last seen</th><th scope="col">Expires</th></tr></thead><tbody>
${sessions.map((s) => html`<tr><td>${s.kind}</td><td>${s.device ?? ''}</td><td>${s.ip ?? ''}</td><td>${when(s.created_at * 1000)}</td><td>${when(s.last_seen_at * 1000)}</td><td>${when(s.expires_at * 1000)}</td></tr>`)}
</tbody></table></div>`
}
<p class="muted">Disabling the user on the <a href="/console/deployment">deployment page</a> ends every one of them at once.</p>
</section>`,
      });
    });

  return [
    defineRoute({
      method: 'get',
      path: '/console/deployment/users/:id',
      summary:
        "Admin console: a user's live sessions, as GET /api/auth/users/:id/sessions (deployment admins)",
      tags: ['console'],
      responses: {
        200: { description: 'HTML' },
        401: { description: 'HTML: not signed in' },
        403: { description: 'HTML: not a deployment admin' },
      },
      handler: (c) => sessionsPage(c),
    }),
    defineRoute({
      method: 'get',
      path: '/console/deployment',
      summary: 'Admin console: users (search, paging) and signing keys, for deployment admins',
      tags: ['console'],
      query: UsersQuery,
      responses: {
        200: { description: 'HTML' },
        401: { description: 'HTML: not signed in' },
        403: { description: 'HTML: not a deployment admin' },
      },
      handler: (c) => deploymentPage(c),
    }),
    ...(['disable', 'enable'] as const).map((verb) =>
      post(
        {
          path: `/console/deployment/users/:id/${verb}`,
          summary: `Admin console: ${verb} a user, as \`POST /api/auth/users/:id/${verb}\` (deployment admins)`,
          body: form({}),
          responses: {
            200: { description: 'HTML: the page again, with the outcome or the refusal' },
            403: { description: 'HTML: the form lacks the page’s CSRF token or came from another site' },
          },
          page: deploymentPage,
        },
        async (c: AppContext) => {
          const done = await api.call<{ revoked_count: number }>(c, 'auth', 'post', `/users/:id/${verb}`);
          return deploymentPage(c, {
            notice:
              verb === 'disable'
                ? `User disabled; ${done.revoked_count} session(s) ended.`
                : 'User enabled; they can sign in again.',
          });
        },
      ),
    ),
    post(
      {
        path: '/console/deployment/keys/rotate',
        summary:
          'Admin console: publish a new signing key, as `pylon-server keys rotate` (deployment admins)',
        body: form({}),
        responses: {
          200: { description: 'HTML: the page again, with the new key or the refusal' },
          403: { description: 'HTML: the form lacks the page’s CSRF token or came from another site' },
        },
        page: deploymentPage,
      },
      async (c: AppContext) => {
        const auth = await requireDeploymentAdmin(admins, await getAuth(c, services), 'rotate signing keys');
        const rotated = await services.keys.rotate(KEY_ROTATION_DELAY_SECONDS);
        await appendAudit(services.storage.db, services.clock.now(), {
          org: DEPLOYMENT_AUDIT,
          action: 'signing_key.rotated',
          actor:
            auth.userId === null ? { type: 'admin' } : { type: 'user', id: auth.userId, email: auth.email },
          target: rotated.kid,
          detail: { activates_at: rotated.activates_at, removed: rotated.removed, via: 'console' },
          ip: clientIP(c, services),
          requestId: c.get('requestId'),
        });
        return deploymentPage(c, {
          notice: `Published key ${rotated.kid}; it signs from ${when(rotated.activates_at)}.`,
        });
      },
    ),
  ];
}
