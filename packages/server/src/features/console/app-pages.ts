import { diffSchemas, SLUG_HTML_PATTERN } from '@pylon/core';
import type {
  AppList,
  GrantList,
  RegisterAppResponse,
  RotateAppTokenResponse,
  SchemaVersions,
} from '@pylon/core/wire';
import { z } from 'zod';
import type { AppContext } from '../../http/context.js';
import { defineRoute } from '../../http/route-table.js';
import { html, type SafeHTML } from '../../pages/html.js';
import type { SchemaStore } from '../rbac/schema-store.js';
import { type ConsoleDeps, type PageRenderer, postedValue } from './console-deps.js';
import { consoleCSRFToken } from './csrf.js';
import { csrfField, orgPath, when } from './layout.js';
import { describeSchemaChange } from './schema-changes.js';

/** What a destructive app action asks before it is sent (the console script; without it, nothing). */
const APP_CONFIRM: Record<string, (appId: string) => string> = {
  disable: (appId) => `Disable ${appId}? It can no longer mint tokens, and it cannot be enabled again.`,
  'rotate-token': (appId) => `Rotate the app token of ${appId}? The current token stops working at once.`,
};

/**
 * An org's apps and grants (`/console/orgs/:id/apps`) and an app's schema versions with the
 * pending destructive diff (`…/apps/:appId/schema`). The RBAC routes act on the addressed org, so
 * the org of the console path is made the request's org first (it must exist, as under `/o/{orgId}`).
 */
export function appPages(deps: ConsoleDeps, schemas: SchemaStore) {
  const { api, services, form, post, enterOrg, render, guarded } = deps;

  const appsPage: PageRenderer = (c, outcome = {}, status = 200) =>
    guarded(c, { section: 'apps' }, async () => {
      const org = await enterOrg(c);
      const { apps } = await api.call<AppList>(c, 'rbac', 'get', '/apps');
      const { roles } = await api.call<GrantList>(c, 'rbac', 'get', '/roles', { query: {} });
      const csrf = consoleCSRFToken(c, services);
      const appAction = (appId: string, verb: string, label: string, cls: string) =>
        html`<form method="post" action="${orgPath(org.id, `/apps/${encodeURIComponent(appId)}/${verb}`)}" class="inline" data-confirm="${APP_CONFIRM[verb]?.(appId) ?? ''}">${csrfField(csrf)}<button type="submit" class="${cls}">${label}</button></form>`;
      return render(c, {
        title: `${org.name}: apps and grants`,
        place: { section: 'apps', org },
        status,
        ...outcome,
        body: html`<section aria-labelledby="apps-h"><h2 id="apps-h">Apps</h2>
${
  apps.length === 0
    ? html`<p class="muted">No apps registered yet.</p>`
    : html`<div class="table"><table><thead><tr><th scope="col">App</th><th scope="col">Owner</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead><tbody>
${apps.map(
  (
    app,
  ) => html`<tr><td><a href="${orgPath(org.id, `/apps/${encodeURIComponent(app.app_id)}/schema`)}">${app.app_id}</a></td><td>${app.owner}</td><td>${app.status}</td>
<td>${app.status === 'active' ? [appAction(app.app_id, 'rotate', 'Rotate token', 'secondary'), appAction(app.app_id, 'disable', 'Disable', 'danger')] : ''}</td></tr>`,
)}
</tbody></table></div>`
}
<h2 id="register-h">Register an app</h2>
<form method="post" action="${orgPath(org.id, '/apps')}" class="grid" aria-labelledby="register-h">${csrfField(csrf)}
<div><label for="app-name">App id (a slug)</label><input id="app-name" name="name" required pattern="${SLUG_HTML_PATTERN}" value="${postedValue(outcome, 'name')}"></div>
<div><label for="app-owner">Owner</label><input id="app-owner" name="owner" type="email" required value="${postedValue(outcome, 'owner')}"></div>
<div><label for="app-description">Description</label><input id="app-description" name="description" maxlength="1000" value="${postedValue(outcome, 'description')}"></div>
<div><button type="submit">Register app</button></div>
</form></section>
<section aria-labelledby="grants-h"><h2 id="grants-h">Who holds what</h2>
${
  roles.length === 0
    ? html`<p class="muted">No grants yet.</p>`
    : html`<div class="table"><table><thead><tr><th scope="col">Person</th><th scope="col">App</th><th scope="col">Archetype</th><th scope="col">Extra capabilities</th><th scope="col">Granted</th><th scope="col">Actions</th></tr></thead><tbody>
${roles.map(
  (
    grant,
  ) => html`<tr><td>${grant.email ?? grant.email_hash}</td><td>${grant.app_id}</td><td>${grant.archetype}</td><td>${(grant.capabilities ?? []).join(', ')}</td><td>${when(grant.granted_at)} by ${grant.granted_by}</td>
<td><form method="post" action="${orgPath(org.id, `/grants/${encodeURIComponent(grant.app_id)}/${encodeURIComponent(grant.email_hash)}/revoke`)}" class="inline" data-confirm="Revoke this grant?">${csrfField(csrf)}<button type="submit" class="danger">Revoke</button></form></td></tr>`,
)}
</tbody></table></div>`
}
<h2 id="grant-h">Grant a role</h2>
<form method="post" action="${orgPath(org.id, '/grants')}" class="grid" aria-labelledby="grant-h">${csrfField(csrf)}
<div><label for="grant-email">Email</label><input id="grant-email" name="email" type="email" required value="${postedValue(outcome, 'email')}"></div>
<div><label for="grant-app">App</label><select id="grant-app" name="app_id">${['pylon', ...apps.filter((app) => app.status === 'active').map((app) => app.app_id)].map((id) => html`<option value="${id}"${postedValue(outcome, 'app_id') === id ? html` selected` : ''}>${id}</option>`)}</select></div>
<div><label for="grant-archetype">Archetype</label><input id="grant-archetype" name="archetype" required value="${postedValue(outcome, 'archetype')}"></div>
<div><label for="grant-caps">Extra capabilities (comma-separated)</label><input id="grant-caps" name="capabilities" value="${postedValue(outcome, 'capabilities')}"></div>
<div><button type="submit">Grant</button></div>
</form></section>`,
      });
    });

  const tokenNotice = (what: string, appId: string, token: string): SafeHTML =>
    html`${what} <strong>${appId}</strong>. Its token is shown this once; store it now: <code class="secret" id="app-token">${token}</code>`;

  const schemaPage: PageRenderer = (c, outcome = {}, status = 200) =>
    guarded(c, { section: 'apps' }, async () => {
      const org = await enterOrg(c);
      const appId = c.req.param('appId') ?? '';
      const listing = await api.call<SchemaVersions>(c, 'rbac', 'get', '/apps/:appId/schema');
      const csrf = consoleCSRFToken(c, services);
      // The reader check passed above; the two versions are read from the same store it reads.
      const current =
        listing.current_version === null ? null : await schemas.get(org.id, appId, listing.current_version);
      const pending =
        listing.pending_version === null ? null : await schemas.get(org.id, appId, listing.pending_version);
      const column = (
        title: string,
        expanded: Record<string, string[]>,
        other: Record<string, string[]>,
        cls: string,
      ) =>
        html`<div><h3>${title}</h3><ul>${Object.entries(expanded)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([archetype, caps]) => {
            const gone = !(archetype in other);
            // WCAG 2.1 SC 1.4.1: the change is said in words, not by the colour alone.
            const mark = cls === 'removed' ? ' (removed)' : ' (new)';
            return html`<li${gone ? html` class="${cls}"` : ''}><strong>${archetype}</strong>${gone ? mark : ''}<ul>${caps.map((cap) => (!gone && !(other[archetype] ?? []).includes(cap) ? html`<li class="${cls}">${cap}${mark}</li>` : html`<li>${cap}</li>`))}</ul></li>`;
          })}</ul></div>`;
      const changes = pending
        ? diffSchemas(current?.prepared ?? { capabilities: [], archetypes: [] }, pending.prepared).changes
        : [];
      return render(c, {
        title: `${appId}: schema`,
        place: { section: 'apps', org },
        status,
        ...outcome,
        body: html`<section aria-labelledby="versions-h"><h2 id="versions-h">Versions</h2>
<div class="table"><table><thead><tr><th scope="col">Version</th><th scope="col">Tag</th><th scope="col">Pushed by</th><th scope="col">Pushed</th><th scope="col">State</th></tr></thead><tbody>
${listing.versions.map((v) => html`<tr><td>${String(v.version)}</td><td>${String(v.version_tag ?? '')}</td><td>${String(v.pushed_by ?? '')}</td><td>${typeof v.pushed_at === 'number' ? when(v.pushed_at) : ''}</td><td>${v.version === listing.current_version ? 'current' : v.version === listing.pending_version ? 'pending approval' : ''}</td></tr>`)}
</tbody></table></div></section>
${
  pending
    ? html`<section aria-labelledby="pending-h"><h2 id="pending-h">Pending version ${String(pending.version)}: destructive changes</h2>
<p>Approving makes version ${String(pending.version)} current; grants of archetypes it removes are revoked.</p>
<ul>${changes.map((change) => html`<li>${describeSchemaChange(change)}</li>`)}</ul>
<div class="diff">${column(`Current (version ${listing.current_version ?? 'none'})`, current?.expanded ?? {}, pending.expanded, 'removed')}${column(`Pending (version ${pending.version})`, pending.expanded, current?.expanded ?? {}, 'added')}</div>
<form method="post" action="${orgPath(org.id, `/apps/${encodeURIComponent(appId)}/schema/approve`)}" data-confirm="Approve version ${String(pending.version)}? Grants of the archetypes and capabilities it removes are revoked.">${csrfField(csrf)}<input type="hidden" name="version" value="${String(pending.version)}"><button type="submit">Approve version ${String(pending.version)}</button></form>
</section>`
    : html`<section><p class="muted">No version is waiting for approval.</p></section>`
}`,
      });
    });

  const appRoute = (verb: string, summary: string, run: (c: AppContext) => Promise<Response>) =>
    post(
      {
        path: `/console/orgs/:id/apps/:appId/${verb}`,
        summary,
        body: form({}),
        page: appsPage,
      },
      async (c) => {
        await enterOrg(c);
        return run(c);
      },
    );

  return [
    defineRoute({
      method: 'get',
      path: '/console/orgs/:id/apps',
      summary: 'Admin console: an org’s apps and its grants (needs pylon:app.manage and pylon:role.manage)',
      tags: ['console'],
      responses: {
        200: { description: 'HTML' },
        401: { description: 'HTML: not signed in' },
        403: { description: 'HTML: insufficient_capability' },
        404: { description: 'HTML: org_not_found' },
      },
      handler: (c) => appsPage(c),
    }),
    post(
      {
        path: '/console/orgs/:id/apps',
        summary: 'Admin console: register an app (as POST /apps); its token is shown once',
        body: form({
          name: z.string().max(100),
          owner: z.string().max(320),
          description: z.string().max(1000).optional(),
        }),
        page: appsPage,
      },
      async (c, body) => {
        await enterOrg(c);
        const registered = await api.call<RegisterAppResponse>(c, 'rbac', 'post', '/apps', {
          body: {
            name: body.name,
            owner: body.owner,
            ...(body.description ? { description: body.description } : {}),
          },
        });
        return appsPage(c, { notice: tokenNotice('Registered', registered.app_id, registered.app_token) });
      },
    ),
    appRoute(
      'rotate',
      'Admin console: rotate an app’s token (as POST /apps/:appId/token/rotate); the new one is shown once',
      async (c) => {
        const rotated = await api.call<RotateAppTokenResponse>(
          c,
          'rbac',
          'post',
          '/apps/:appId/token/rotate',
        );
        return appsPage(c, {
          notice: tokenNotice('Rotated the token of', rotated.app_id, rotated.app_token),
        });
      },
    ),
    appRoute('disable', 'Admin console: disable an app (as DELETE /apps/:appId)', async (c) => {
      await api.call(c, 'rbac', 'delete', '/apps/:appId');
      return appsPage(c, { notice: 'App disabled: it mints no more tokens.' });
    }),
    post(
      {
        path: '/console/orgs/:id/grants',
        summary: 'Admin console: grant a role by email (as POST /roles)',
        body: form({
          email: z.string().max(320),
          app_id: z.string().max(100),
          archetype: z.string().max(200),
          capabilities: z.string().max(10_000).optional(),
        }),
        page: appsPage,
      },
      async (c, body) => {
        await enterOrg(c);
        const capabilities = (body.capabilities ?? '')
          .split(',')
          .map((cap) => cap.trim())
          .filter((cap) => cap !== '');
        await api.call(c, 'rbac', 'post', '/roles', {
          body: {
            email: body.email,
            app_id: body.app_id,
            archetype: body.archetype,
            ...(capabilities.length > 0 ? { capabilities } : {}),
          },
        });
        return appsPage(c, { notice: `Granted ${body.archetype} in ${body.app_id} to ${body.email}.` });
      },
    ),
    post(
      {
        path: '/console/orgs/:id/grants/:appId/:emailHash/revoke',
        summary: 'Admin console: revoke a grant (as DELETE /roles/:appId/:emailHash)',
        body: form({}),
        page: appsPage,
      },
      async (c) => {
        await enterOrg(c);
        await api.call(c, 'rbac', 'delete', '/roles/:appId/:emailHash');
        return appsPage(c, { notice: 'Grant revoked.' });
      },
    ),
    defineRoute({
      method: 'get',
      path: '/console/orgs/:id/apps/:appId/schema',
      summary: 'Admin console: an app’s schema versions and the pending destructive diff, side by side',
      tags: ['console'],
      responses: {
        200: { description: 'HTML' },
        401: { description: 'HTML: not signed in' },
        403: { description: 'HTML: insufficient_capability (not a member)' },
        404: { description: 'HTML: org_not_found or app_not_found' },
      },
      handler: (c) => schemaPage(c),
    }),
    post(
      {
        path: '/console/orgs/:id/apps/:appId/schema/approve',
        summary: 'Admin console: approve the pending version (as POST /apps/:appId/schema/approve-migration)',
        body: form({ version: z.string().max(12) }),
        page: schemaPage,
      },
      async (c, body) => {
        await enterOrg(c);
        const approved = await api.call<{ version: number; roles_migrated: number }>(
          c,
          'rbac',
          'post',
          '/apps/:appId/schema/approve-migration',
          { body: { version: Number(body.version) } },
        );
        return schemaPage(c, {
          notice: `Approved version ${approved.version}; ${approved.roles_migrated} grant(s) revoked.`,
        });
      },
    ),
  ];
}
