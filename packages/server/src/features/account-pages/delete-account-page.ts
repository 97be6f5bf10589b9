import { PylonError } from '@pylon/core';
import { z } from 'zod';
import type { AppContext } from '../../http/context.js';
import { defineRoute } from '../../http/route-table.js';
import { html } from '../../pages/html.js';
import { pageBase, renderPage } from '../../pages/page-context.js';
import { deleteAccount } from '../account/account-deletion.js';
import type { Identity } from '../identity/identity.js';
import { requireRecentSignInOrPassword } from '../identity/reauthentication.js';
import { clearSessionCookie } from '../identity/session-cookie.js';
import type { OrgStore } from '../orgs/org-store.js';
import {
  accountPage,
  csrfField,
  csrfToken,
  facts,
  notice,
  PageRefusal,
  type PageSession,
  pageForm,
  pageGet,
  pagePost,
  type Shown,
} from './page-kit.js';

const form = pageForm({
  password: z.string().max(256).optional(),
  confirm: z.string().max(10).optional(),
});

/**
 * `/account/delete`: the confirm step of deleting the account, the same use case and checks as
 * `DELETE /api/auth/account` (the current password when the account has one, else a sign-in
 * within 5 minutes — REAUTH_REQUIRED with a way to sign in again —; the password lockout; never
 * the last owner of an org). Done, the browser is signed out and sent to `/account/deleted`.
 */
export function deleteAccountPageRoutes(identity: Identity, orgs: OrgStore) {
  const { services } = identity;

  async function confirmPage(c: AppContext, session: PageSession, shown: Shown = {}, status = 200) {
    const base = pageBase(c);
    const user = await identity.users.findById(session.userId);
    const askPassword = services.config.passwords && Boolean(user?.passwordHash);
    const body = html`<h1>Delete your account</h1>
${notice('error', shown.error)}
<p>This deletes your account at once and cannot be undone: every session is signed out, your password, passkeys, API keys and linked accounts are removed, and you leave every organisation. The audit log keeps what happened, without your address.</p>
<form method="post" action="${base}/account/delete">
${csrfField(csrfToken(c, services))}
${
  askPassword
    ? html`<label for="delete-password">Your current password</label>
<input id="delete-password" name="password" type="password" autocomplete="current-password" required>`
    : ''
}
<label class="check"><input type="checkbox" name="confirm" value="yes" required> I understand that my account is deleted for good.</label>
<button type="submit" class="danger">Delete my account</button>
</form>
<p class="links"><a href="${base}/account">Keep my account</a></p>`;
    return renderPage(c, 'Delete your account', body, status, undefined, accountPage(base, '/account'));
  }

  return [
    pageGet(
      services,
      { path: '/account/delete', summary: 'The account page: delete the account (confirm)' },
      (c, s) => confirmPage(c, s),
    ),
    pagePost(
      services,
      {
        path: '/account/delete',
        summary: 'Account page: delete the account, as DELETE /api/auth/account',
        body: form,
        back: '/account/delete',
        show: confirmPage,
      },
      async (c, session, body) => {
        if (body.confirm !== 'yes')
          throw new PageRefusal('Tick the box to confirm that the account is deleted for good.');
        const sentPassword = body.password !== undefined && body.password !== '';
        try {
          await requireRecentSignInOrPassword(identity, facts(c, services), {
            userId: session.userId,
            sessionId: session.sessionId,
            password: body.password,
            during: 'account_deletion',
          });
        } catch (error) {
          // A password sent and refused is a wrong password, not a stale sign-in.
          if (sentPassword && error instanceof PylonError && error.code === 'REAUTH_REQUIRED')
            throw new PylonError('WRONG_PASSWORD');
          throw error;
        }
        await deleteAccount(identity, orgs, facts(c, services), session.userId);
        clearSessionCookie(c, services.config);
        return c.redirect(`${pageBase(c)}/account/deleted`, 303);
      },
    ),
    defineRoute({
      method: 'get',
      path: '/account/deleted',
      summary: 'The page after an account was deleted',
      tags: ['pages'],
      responses: { 200: { description: 'HTML' } },
      handler: (c) =>
        renderPage(
          c,
          'Account deleted',
          html`<h1>Your account was deleted</h1>
<p role="status">Everything that let you sign in is gone, and this browser is signed out.</p>
<p class="links"><a href="${pageBase(c)}/login">Sign in page</a></p>`,
        ),
    }),
  ];
}
