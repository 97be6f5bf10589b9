import { PylonError } from '@pylon/core';
import { z } from 'zod';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { AppContext } from '../../http/context.js';
import { html, type SafeHTML } from '../../pages/html.js';
import { pageBase, renderPage } from '../../pages/page-context.js';
import { completeEmailChange, requestEmailChange } from '../account/email-change.js';
import type { EmailChangeStore } from '../account/email-change-store.js';
import type { Identity } from '../identity/identity.js';
import { revokeOtherSessions, revokeSession } from '../identity/session-actions.js';
import { clearSessionCookie } from '../identity/session-cookie.js';
import {
  accountPage,
  csrfField,
  csrfToken,
  facts,
  notice,
  type PageSession,
  pageForm,
  pageGet,
  pagePost,
  type Shown,
  when,
} from './page-kit.js';

const form = pageForm({
  email: z.string().max(320).optional(),
  code: z.string().max(64).optional(),
  session_id: z.string().max(100).optional(),
});

/**
 * How the page names the ways in registered in `identity.signInMethods`; a password has its own
 * line, and emailed codes are said from the address (a code also proves an unverified one).
 */
const METHOD_NAMES: Readonly<Record<string, string | null>> = {
  password: null,
  email_code: null,
  linked_identity: 'linked accounts',
  passkey: 'passkeys',
};

/** "a", "a or b", "a, b or c". */
const either = (items: readonly string[]) =>
  items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;

/**
 * The ways besides a password this account can actually sign in, as the page says them: emailed
 * codes only with an address to send them to, passkeys and linked accounts only when it holds one.
 */
async function otherWaysIn(identity: Identity, user: { id: string; email: string | null }) {
  const ways: string[] = [];
  if (user.email !== null) ways.push('emailed codes');
  const db = identity.services.storage.db;
  for (const method of identity.signInMethods) {
    const named = method.name in METHOD_NAMES ? (METHOD_NAMES[method.name] as string | null) : method.name;
    if (named !== null && (await method.holds(db, user.id))) ways.push(named);
  }
  return ways;
}

/**
 * `/account` (who you are, your address and changing it, signing out) and `/account/sessions`
 * (every signed-in browser and device, this one marked; revoke one or all the others).
 */
export function profilePageRoutes(identity: Identity, changes: EmailChangeStore) {
  const { services } = identity;

  async function profile(
    c: AppContext,
    session: PageSession,
    shown: Shown & { codeFor?: string } = {},
    status = 200,
  ): Promise<Response> {
    const base = pageBase(c);
    const csrf = csrfToken(c, services);
    const user = await identity.users.findById(session.userId);
    const verified = user?.emailVerifiedAt != null;
    const email = user?.email ?? null;
    const ways = either(user ? await otherWaysIn(identity, user) : []);
    const emailChange: SafeHTML = shown.codeFor
      ? html`<p role="status">We sent a code to <strong>${shown.codeFor}</strong> (if the address can be used). Enter it to make it your address.</p>
<form method="post" action="${base}/account/email/verify">
${csrfField(csrf)}
<label for="email-code">Code from the email</label>
<input id="email-code" name="code" class="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required autofocus>
<button type="submit">Change address</button>
</form>`
      : html`<form method="post" action="${base}/account/email">
${csrfField(csrf)}
<label for="new-email">New email address</label>
<input id="new-email" name="email" type="email" autocomplete="email" required>
<button type="submit" class="secondary">Send a code to the new address</button>
</form>`;
    const body = html`<h1>Your account</h1>
${notice('error', shown.error)}${notice('ok', shown.ok)}
<ul class="list">
<li><span>Email<span class="meta">${email ?? (session.isGuest ? 'none (a guest account)' : 'none')}</span></span>${
      email
        ? verified
          ? html`<span class="tag">verified</span>`
          : html`<a href="${base}/verify-email">Verify it</a>`
        : ''
    }</li>
<li><span>Member since<span class="meta">${when(user?.createdAt ?? null)}</span></span></li>
${
  services.config.passwords
    ? html`<li><span>Password<span class="meta">${user?.passwordHash ? 'set' : ways ? `none: you sign in with ${ways}` : 'none'}</span></span><a href="${base}/account/security">Security</a></li>`
    : html`<li><span>Sign-in<span class="meta">${ways || 'this browser only'}</span></span><a href="${base}/account/security">Security</a></li>`
}
</ul>
${session.isGuest ? '' : html`<h2>${email ? 'Change your email address' : 'Add an email address'}</h2>${emailChange}`}
<h2>Sign out</h2>
<form method="post" action="${base}/account/sign-out">
${csrfField(csrf)}
<button type="submit" class="secondary">Sign out of this browser</button>
</form>
<h2>Delete account</h2>
<p>Deleting your account removes every way to sign in to it and cannot be undone.</p>
<a class="button secondary" href="${base}/account/delete">Delete account…</a>`;
    return renderPage(c, 'Your account', body, status, undefined, accountPage(base, '/account'));
  }

  async function sessions(
    c: AppContext,
    session: PageSession,
    shown: Shown = {},
    status = 200,
  ): Promise<Response> {
    const base = pageBase(c);
    const csrf = csrfToken(c, services);
    const list = await identity.sessions.listForUser(session.userId, services.clock.now());
    const rows = list.map(
      (s) =>
        html`<li><span>${s.device ?? 'Unknown device'}${
          s.id === session.sessionId ? html`<span class="tag">this device</span>` : ''
        }<span class="meta">${s.kind} · ${s.ip ?? 'unknown address'} · signed in ${when(s.createdAt)} · last seen ${when(s.lastSeenAt)}</span></span>${
          s.id === session.sessionId
            ? ''
            : html`<form method="post" action="${base}/account/sessions/revoke">
${csrfField(csrf)}<input type="hidden" name="session_id" value="${s.id}">
<button type="submit" class="small danger" aria-label="Revoke the session on ${s.device ?? 'an unknown device'} from ${when(s.createdAt)}">Revoke</button>
</form>`
        }</li>`,
    );
    const body = html`<h1>Sessions</h1>
<p>Where your account is signed in. Revoke any you do not recognise.</p>
${notice('error', shown.error)}${notice('ok', shown.ok)}
<ul class="list">${rows}</ul>
${
  list.length > 1
    ? html`<form method="post" action="${base}/account/sessions/revoke-others">
${csrfField(csrf)}
<button type="submit" class="danger">Sign out every other session</button>
</form>`
    : ''
}`;
    return renderPage(c, 'Sessions', body, status, undefined, accountPage(base, '/account/sessions'));
  }

  const back = (c: AppContext, path: string) => c.redirect(`${pageBase(c)}${path}`, 303);

  return [
    pageGet(services, { path: '/account', summary: 'The account page: profile, email, sign out' }, (c, s) =>
      profile(c, s),
    ),
    pagePost(
      services,
      {
        path: '/account/email',
        summary: 'Account page: email a code to a new address',
        body: form,
        back: '/account',
        show: profile,
      },
      async (c, session, body) => {
        if (session.isGuest) throw new PylonError('FORBIDDEN');
        const sent = await requestEmailChange(identity, changes, facts(c, services), {
          userId: session.userId,
          sessionId: session.sessionId,
          currentEmail: session.email,
          newEmail: body.email,
        });
        return { codeFor: sent.newEmail };
      },
    ),
    pagePost(
      services,
      {
        path: '/account/email/verify',
        summary: 'Account page: confirm the new address with its code',
        body: form,
        back: '/account',
        show: profile,
      },
      async (c, session, body) => {
        const email = await completeEmailChange(identity, changes, facts(c, services), {
          userId: session.userId,
          currentEmail: session.email,
          code: body.code,
        });
        // The page shows the session's new address.
        return profile(c, { ...session, email }, { ok: `Your address is now ${email}.` });
      },
    ),
    pagePost(
      services,
      {
        path: '/account/sign-out',
        summary: 'Account page: sign out this browser',
        body: form,
        back: '/account',
        show: profile,
      },
      async (c, session) => {
        await identity.sessions.revoke(session.userId, session.sessionId);
        await appendAudit(services.storage.db, services.clock.now(), {
          org: DEPLOYMENT_AUDIT,
          action: 'auth.sign_out',
          actor: session.userId,
          target: session.userId,
          detail: { session_id: session.sessionId, via: 'account_page' },
          ...facts(c, services),
        });
        clearSessionCookie(c, services.config);
        return back(c, '/login');
      },
    ),
    pageGet(services, { path: '/account/sessions', summary: 'The account page: sessions' }, (c, s) =>
      sessions(c, s),
    ),
    pagePost(
      services,
      {
        path: '/account/sessions/revoke',
        summary: 'Account page: revoke one session',
        body: form,
        back: '/account/sessions',
        show: sessions,
      },
      async (c, session, body) => {
        await revokeSession(identity, facts(c, services), {
          userId: session.userId,
          sessionId: body.session_id ?? '',
        });
        return { ok: 'The session was signed out.' };
      },
    ),
    pagePost(
      services,
      {
        path: '/account/sessions/revoke-others',
        summary: 'Account page: sign out every other session',
        body: form,
        back: '/account/sessions',
        show: sessions,
      },
      async (c, session) => {
        const count = await revokeOtherSessions(identity, facts(c, services), {
          userId: session.userId,
          keepSessionId: session.sessionId,
        });
        return { ok: `${count} other session${count === 1 ? ' was' : 's were'} signed out.` };
      },
    ),
  ];
}
