import { PylonError } from '@pylon/core';
import { z } from 'zod';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { AuthContext } from '../../http/auth-context.js';
import type { AppContext } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import { defineRoute } from '../../http/route-table.js';
import { formCSRF } from '../../pages/form-csrf.js';
import { html, type SafeHTML } from '../../pages/html.js';
import { pageBase, renderPage } from '../../pages/page-context.js';
import { clientIP } from '../identity/route-helpers.js';
import { clearSessionCookie } from '../identity/session-cookie.js';
import type { OrgsContext } from './feature.js';
import { acceptInvite, requireUsableInvite } from './invite-routes.js';

/** Double-submit CSRF token of the invite page: fresh on every render, its own cookie so another page's tab cannot clobber it. */
const INVITE_CSRF = formCSRF('pylon_invite_csrf', { reuse: false });

/** What `GET /invite/{token}` shows, decided by `pageState` below; `renderInvitePage` only renders. */
export type InvitePageState =
  | { kind: 'not_found' }
  | { kind: 'expired'; orgName: string }
  | { kind: 'used' }
  | { kind: 'joined'; orgName: string; role: string }
  | { kind: 'signed_out'; orgName: string; role: string; email: string }
  | { kind: 'wrong_email'; orgName: string; email: string; signedInAs: string; csrf: string }
  | { kind: 'already_member'; orgName: string }
  | { kind: 'unverified'; orgName: string; role: string; email: string }
  | { kind: 'acceptable'; orgName: string; role: string; email: string; proves: boolean; csrf: string };

const STATUS: Record<InvitePageState['kind'], number> = {
  not_found: 404,
  expired: 410,
  used: 409,
  joined: 200,
  signed_out: 200,
  wrong_email: 403,
  already_member: 409,
  unverified: 403,
  acceptable: 200,
};

const article = (role: string) => (/^[aeiou]/i.test(role) ? 'an' : 'a');

/**
 * The page. `link` is the path the visitor came in by (`{base}/invite/{segment}`): it appears only
 * in form actions and `return_to`, never as visible text.
 */
export function renderInvitePage(base: string, link: string, state: InvitePageState): SafeHTML {
  const invitation = (orgName: string, role: string) =>
    html`<p>You are invited to join <strong>${orgName}</strong> as ${article(role)} <strong>${role}</strong>.</p>`;
  const signIn = (label: string, cls = '') => html`<form method="get" action="${base}/login">
<input type="hidden" name="return_to" value="${link}">
<button type="submit"${cls ? html` class="${cls}"` : ''}>${label}</button>
</form>`;
  switch (state.kind) {
    case 'not_found':
      return html`<h1>Invitation not found</h1>
<p>This invitation link is not valid. It may have been withdrawn, or the link was not copied in full. Ask whoever invited you to send a new one.</p>`;
    case 'expired':
      return html`<h1>Invitation expired</h1>
<p class="error" role="alert">This invitation to <strong>${state.orgName}</strong> has expired. Ask whoever invited you to send a new one.</p>`;
    case 'used':
      return html`<h1>Invitation already used</h1>
<p>This invitation has already been accepted. An invitation works once; ask for a new one if you still need to join.</p>`;
    case 'joined':
      return html`<h1>You joined ${state.orgName}</h1>
<p class="ok" role="status">You are ${article(state.role)} ${state.role} of <strong>${state.orgName}</strong>.</p>
<p>You can close this tab.</p>`;
    case 'signed_out':
      return html`<h1>Join ${state.orgName}</h1>
${invitation(state.orgName, state.role)}
<p>The invitation was sent to <strong>${state.email}</strong>. Sign in as that address to accept it: with an emailed code or your password. New here? Signing in with an emailed code creates your account.</p>
${signIn('Sign in to accept')}`;
    case 'wrong_email':
      return html`<h1>This invitation is for someone else</h1>
<p>The invitation to <strong>${state.orgName}</strong> was sent to <strong>${state.email}</strong>, but you are signed in as <strong>${state.signedInAs}</strong>.</p>
<p>Sign out, then sign in as <strong>${state.email}</strong> to accept it.</p>
<form method="post" action="${link}/sign-out">
<input type="hidden" name="csrf" value="${state.csrf}">
<button type="submit">Sign out</button>
</form>
${signIn('Use another account', 'secondary')}`;
    case 'already_member':
      return html`<h1>You are already a member</h1>
<p>You already belong to <strong>${state.orgName}</strong>; this invitation is not needed.</p>`;
    case 'unverified':
      return html`<h1>Join ${state.orgName}</h1>
${invitation(state.orgName, state.role)}
<p>Your address <strong>${state.email}</strong> is not verified yet. Open the link in the invitation email (it confirms the address), or sign in with an emailed code, then return here.</p>
${signIn('Sign in with an emailed code')}`;
    case 'acceptable':
      return html`<h1>Join ${state.orgName}</h1>
${invitation(state.orgName, state.role)}
<p>You are signed in as <strong>${state.email}</strong>.${state.proves ? ' Accepting also confirms this email address.' : ''}</p>
<form method="post" action="${link}/accept">
<input type="hidden" name="csrf" value="${state.csrf}">
<button type="submit">Accept invite</button>
</form>`;
  }
}

/**
 * The hosted invite page (no JavaScript): the emailed link (`{PYLON_PUBLIC_URL}/invite/{token}`)
 * shows the org and role, sends a signed-out visitor through the sign-in page and back, tells a
 * visitor signed in as another address which address the invite is for, and accepts only by a POST
 * carrying the page's CSRF token. Accepting shares `acceptInvite` with the JSON route.
 */
export function invitePageRoutes(context: OrgsContext) {
  const { services, identity, orgs, invites, links } = context;

  const csrfToken = (c: AppContext) => INVITE_CSRF.token(c, services);
  /** The page's double-submit token, and (as for the sign-in forms) a post from this origin. */
  const passesCSRF = (c: AppContext, sent: string | undefined) => INVITE_CSRF.passes(c, services, sent);

  /** The signed-in session, or null. A cross-site cookie is no caller here (the resolver refuses it). */
  async function sessionOf(
    c: AppContext,
  ): Promise<(AuthContext & { userId: string; sessionId: string }) | null> {
    let auth: AuthContext;
    try {
      auth = await getAuth(c, services);
    } catch (error) {
      if (error instanceof PylonError) return null;
      throw error;
    }
    return auth.authMethod === 'session' && auth.userId !== null && auth.sessionId !== undefined
      ? (auth as AuthContext & { userId: string; sessionId: string })
      : null;
  }

  async function pageState(c: AppContext, segment: string): Promise<InvitePageState> {
    const now = services.clock.now();
    const link = links.parse(segment);
    const invite = link && (await invites.findByToken(services.storage.db, link.token));
    const org = invite ? await orgs.find(invite.orgId) : null;
    if (!link || !invite || !org) return { kind: 'not_found' };
    const session = await sessionOf(c);
    try {
      requireUsableInvite(invite, now);
    } catch (error) {
      if (!(error instanceof PylonError)) throw error;
      if (error.code === 'INVITE_EXPIRED') return { kind: 'expired', orgName: org.name };
      if (session !== null && invite.acceptedBy === session.userId)
        return { kind: 'joined', orgName: org.name, role: invite.role };
      return { kind: 'used' };
    }
    const shown = { orgName: org.name, role: invite.role, email: invite.email };
    if (session === null) return { kind: 'signed_out', ...shown };
    if (session.email !== invite.email) {
      return {
        kind: 'wrong_email',
        orgName: org.name,
        email: invite.email,
        signedInAs: session.email ?? 'a guest',
        csrf: csrfToken(c),
      };
    }
    if ((await orgs.roleOf(invite.orgId, session.userId)) !== null)
      return { kind: 'already_member', orgName: org.name };
    if (!session.emailVerified && !link.fromEmail) return { kind: 'unverified', ...shown };
    return { kind: 'acceptable', ...shown, proves: !session.emailVerified, csrf: csrfToken(c) };
  }

  const show = async (c: AppContext, segment: string) => {
    const base = pageBase(c);
    const state = await pageState(c, segment);
    const link = `${base}/invite/${encodeURIComponent(segment)}`;
    return renderPage(c, 'Invitation', renderInvitePage(base, link, state), STATUS[state.kind]);
  };
  const back = (c: AppContext, segment: string) =>
    c.redirect(`${pageBase(c)}/invite/${encodeURIComponent(segment)}`, 303);
  const refused = (c: AppContext) =>
    renderPage(
      c,
      'Refused',
      html`<h1>Refused</h1>
<p class="error" role="alert">This form expired or was sent from another site. Open the invitation link again.</p>`,
      403,
    );
  const form = z.object({ csrf: z.string().max(100).optional() });
  const formResponses = {
    303: { description: 'Back to the invite page, which shows the outcome' },
    403: { description: 'A page: the form lacks the page’s CSRF token or came from another site' },
  };

  return [
    defineRoute({
      method: 'get',
      path: '/invite/:token',
      summary: 'The hosted invite page the emailed link opens: sign in or sign up, then accept',
      tags: ['pages'],
      responses: {
        200: { description: 'HTML: sign in, accept, or joined' },
        403: { description: 'HTML: signed in as another address, or unverified with the bare link' },
        404: { description: 'HTML: unknown, withdrawn or altered link' },
        409: { description: 'HTML: already used, or already a member' },
        410: { description: 'HTML: expired' },
      },
      handler: (c) => show(c, c.req.param('token') ?? ''),
    }),
    defineRoute({
      method: 'post',
      path: '/invite/:token/accept',
      summary: 'Accept from the invite page (session cookie and the page’s CSRF token)',
      tags: ['pages'],
      body: form,
      acceptsForm: true,
      responses: formResponses,
      handler: async (c, { body }) => {
        const segment = c.req.param('token') ?? '';
        if (!passesCSRF(c, body.csrf)) return refused(c);
        const session = await sessionOf(c);
        if (session === null) return back(c, segment);
        try {
          await acceptInvite(c, context, segment, session);
        } catch (error) {
          // The page explains every refusal (expired, used, another address, already a member).
          if (error instanceof PylonError) return show(c, segment);
          throw error;
        }
        return back(c, segment);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/invite/:token/sign-out',
      summary: 'Sign out from the invite page, to sign in as the invited address',
      tags: ['pages'],
      body: form,
      acceptsForm: true,
      responses: formResponses,
      handler: async (c, { body }) => {
        const segment = c.req.param('token') ?? '';
        if (!passesCSRF(c, body.csrf)) return refused(c);
        const session = await sessionOf(c);
        if (session !== null) {
          await identity.sessions.revoke(session.userId, session.sessionId);
          await appendAudit(services.storage.db, services.clock.now(), {
            org: DEPLOYMENT_AUDIT,
            action: 'auth.sign_out',
            actor: session.userId,
            target: session.userId,
            detail: { session_id: session.sessionId, via: 'invite_page' },
            ip: clientIP(c, services),
            requestId: c.get('requestId'),
          });
        }
        clearSessionCookie(c, services.config);
        return back(c, segment);
      },
    }),
  ];
}
