import { SLUG_HTML_PATTERN } from '@pylon/core';
import type { InviteResponse, MemberList, Org, OrgList, OrgView, PendingInvite } from '@pylon/core/wire';
import { z } from 'zod';
import { defineRoute } from '../../http/route-table.js';
import { html } from '../../pages/html.js';
import { type ConsoleDeps, type PageRenderer, postedValue } from './console-deps.js';
import { consoleCSRFToken } from './csrf.js';
import { csrfField, orgPath, personCell, personName, when } from './layout.js';

const ROLES = ['member', 'admin', 'owner'] as const;

const roleSelect = (id: string, selected = 'member') =>
  html`<select id="${id}" name="role">${ROLES.map((role) => html`<option value="${role}"${role === selected ? html` selected` : ''}>${role}</option>`)}</select>`;

const formResponses = (what: string) => ({
  200: { description: `HTML: the page again, with what ${what} did or why it was refused` },
  400: { description: 'HTML: the page again, saying which field the form’s own checks refused' },
  403: { description: 'HTML: the form lacks the page’s CSRF token or came from another site' },
});

/** The organisations list (`/console`) and one org's members and invites (`/console/orgs/:id`). */
export function orgPages(deps: ConsoleDeps) {
  const { api, services, form, post, render, guarded } = deps;

  const home: PageRenderer = async (c, outcome = {}, status = 200) => {
    return guarded(c, { section: 'orgs' }, async () => {
      const orgs = await api.call<OrgList>(c, 'auth', 'get', '/orgs');
      const csrf = consoleCSRFToken(c, services);
      return render(c, {
        title: 'Organisations',
        place: { section: 'orgs' },
        status,
        ...outcome,
        body: html`<section aria-labelledby="orgs-h"><h2 id="orgs-h">Your organisations</h2>
${
  orgs.length === 0
    ? html`<p class="muted">You belong to no organisation yet.</p>`
    : html`<div class="table"><table><thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Your role</th></tr></thead><tbody>
${orgs.map((org: Org) => html`<tr><td><a href="${orgPath(org.id)}">${org.name}</a></td><td><code>${org.id}</code></td><td>${org.role}</td></tr>`)}
</tbody></table></div>`
}</section>
<section aria-labelledby="create-h"><h2 id="create-h">Create an organisation</h2>
<form method="post" action="/console/orgs" class="grid">${csrfField(csrf)}
<div><label for="org-name">Name</label><input id="org-name" name="name" required maxlength="200" value="${postedValue(outcome, 'name')}"></div>
<div><label for="org-id">Id (optional slug)</label><input id="org-id" name="id" maxlength="63" pattern="${SLUG_HTML_PATTERN}" value="${postedValue(outcome, 'id')}"></div>
<div><button type="submit">Create organisation</button></div>
</form></section>`,
      });
    });
  };

  const orgPage: PageRenderer = async (c, outcome = {}, status = 200) => {
    const id = c.req.param('id') ?? '';
    return guarded(c, { section: 'members' }, async () => {
      const org = await api.call<OrgView>(c, 'auth', 'get', '/orgs/:id');
      const place = { section: 'members' as const, org };
      const members = await api.call<MemberList>(c, 'auth', 'get', '/orgs/:id/members');
      const manages = org.role === 'owner' || org.role === 'admin' || org.role === null;
      const invites = manages ? await api.call<PendingInvite[]>(c, 'auth', 'get', '/orgs/:id/invites') : [];
      const csrf = consoleCSRFToken(c, services);
      const memberRow = (member: MemberList[number]) => {
        const person = { email: member.email, displayName: member.display_name, id: member.user_id };
        return html`<tr><td>${personCell(person)}</td><td>${member.role}</td><td>${when(member.joined_at * 1000)}</td>
<td>${
          manages
            ? html`<form method="post" action="${orgPath(id, `/members/${encodeURIComponent(member.user_id)}/role`)}" class="inline">${csrfField(csrf)}<label for="role-${member.user_id}">Role of ${personName(person)}</label>${roleSelect(`role-${member.user_id}`, member.role)} <button type="submit" class="secondary">Change role</button></form>
<form method="post" action="${orgPath(id, `/members/${encodeURIComponent(member.user_id)}/remove`)}" class="inline" data-confirm="Remove this member? Their grants in the org's apps are revoked too.">${csrfField(csrf)}<button type="submit" class="danger">Remove</button></form>`
            : ''
        }</td></tr>`;
      };
      return render(c, {
        title: `${org.name}: members`,
        place,
        status,
        ...outcome,
        body: html`<section aria-labelledby="members-h"><h2 id="members-h">Members</h2>
<div class="table"><table><thead><tr><th scope="col">Person</th><th scope="col">Role</th><th scope="col">Joined</th><th scope="col">Actions</th></tr></thead><tbody>
${members.map(memberRow)}
</tbody></table></div></section>
${
  manages
    ? html`<section aria-labelledby="invites-h"><h2 id="invites-h">Invites</h2>
${
  invites.length === 0
    ? html`<p class="muted">No pending invites.</p>`
    : html`<div class="table"><table><thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Expires</th><th scope="col">Actions</th></tr></thead><tbody>
${invites.map((invite) => html`<tr><td>${invite.email}</td><td>${invite.role}</td><td>${when(invite.expires_at * 1000)}</td><td><form method="post" action="${orgPath(id, `/invites/${encodeURIComponent(invite.id)}/withdraw`)}" class="inline">${csrfField(csrf)}<button type="submit" class="secondary">Withdraw</button></form></td></tr>`)}
</tbody></table></div>`
}
<form method="post" action="${orgPath(id, '/invites')}" class="grid">${csrfField(csrf)}
<div><label for="invite-email">Email</label><input id="invite-email" name="email" type="email" required value="${postedValue(outcome, 'email')}"></div>
<div><label for="invite-role">Role</label>${roleSelect('invite-role')}</div>
<div><button type="submit">Send invite</button></div>
</form></section>`
    : ''
}`,
      });
    });
  };

  const roleForm = form({ role: z.string().max(20) });
  return [
    defineRoute({
      method: 'get',
      path: '/console',
      summary: 'Admin console: the organisations you belong to, and a form to create one',
      tags: ['console'],
      responses: { 200: { description: 'HTML' }, 401: { description: 'HTML: not signed in' } },
      handler: (c) => home(c),
    }),
    post(
      {
        path: '/console/orgs',
        summary: 'Admin console: create an organisation (as POST /api/auth/orgs)',
        body: form({ name: z.string().max(200), id: z.string().max(63).optional() }),
        responses: formResponses('creating'),
        page: home,
      },
      async (c, body) => {
        const created = await api.call<Org>(c, 'auth', 'post', '/orgs', {
          body: { name: body.name, ...(body.id ? { id: body.id } : {}) },
        });
        return c.redirect(orgPath(created.id), 303);
      },
    ),
    defineRoute({
      method: 'get',
      path: '/console/orgs/:id',
      summary: 'Admin console: an organisation’s members and pending invites',
      tags: ['console'],
      responses: {
        200: { description: 'HTML' },
        401: { description: 'HTML: not signed in' },
        403: { description: 'HTML: not a member of the org' },
      },
      handler: (c) => orgPage(c),
    }),
    post(
      {
        path: '/console/orgs/:id/invites',
        summary: 'Admin console: invite someone (as POST /api/auth/orgs/:id/invites)',
        body: form({ email: z.string().max(320), role: z.string().max(20) }),
        responses: formResponses('inviting'),
        page: orgPage,
      },
      async (c, body) => {
        const invite = await api.call<InviteResponse>(c, 'auth', 'post', '/orgs/:id/invites', {
          body: { email: body.email, role: body.role },
        });
        return orgPage(c, {
          notice: html`Invited <strong>${invite.email}</strong> as ${invite.role}. The invitation was emailed. Its link: <a href="${invite.accept_url ?? ''}" id="invite-link">${invite.accept_url ?? ''}</a>`,
        });
      },
    ),
    post(
      {
        path: '/console/orgs/:id/invites/:invite_id/withdraw',
        summary: 'Admin console: withdraw a pending invite (as DELETE /api/auth/orgs/:id/invites/:invite_id)',
        body: form({}),
        responses: formResponses('withdrawing'),
        page: orgPage,
      },
      async (c) => {
        await api.call(c, 'auth', 'delete', '/orgs/:id/invites/:invite_id');
        return orgPage(c, { notice: 'Invite withdrawn.' });
      },
    ),
    post(
      {
        path: '/console/orgs/:id/members/:user_id/role',
        summary: 'Admin console: change a member’s role (as PUT /api/auth/orgs/:id/members/:user_id)',
        body: roleForm,
        responses: formResponses('the change'),
        page: orgPage,
      },
      async (c, body) => {
        await api.call(c, 'auth', 'put', '/orgs/:id/members/:user_id', { body: { role: body.role } });
        return orgPage(c, { notice: `Role changed to ${body.role}.` });
      },
    ),
    post(
      {
        path: '/console/orgs/:id/members/:user_id/remove',
        summary: 'Admin console: remove a member (as DELETE /api/auth/orgs/:id/members/:user_id)',
        body: form({}),
        responses: formResponses('removing'),
        page: orgPage,
      },
      async (c) => {
        await api.call(c, 'auth', 'delete', '/orgs/:id/members/:user_id');
        return orgPage(c, { notice: 'Member removed.' });
      },
    ),
  ];
}
