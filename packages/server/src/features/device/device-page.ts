import { setCookie } from 'hono/cookie';
import { z } from 'zod';
import { isInsecureLocalDevelopment } from '../../config/config.js';
import { toBase64URL } from '../../crypto/random.js';
import type { AppContext } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import { defineRoute } from '../../http/route-table.js';
import { html } from '../../pages/html.js';
import { pageBase, renderPage } from '../../pages/page-context.js';
import type { Identity } from '../identity/identity.js';
import type { DeviceStore } from './device-store.js';
import { displayUserCode, normalizeUserCode } from './user-code.js';

/** Double-submit CSRF token of the device page: a cookie, echoed by the form. */
export const CSRF_COOKIE = 'pylon_csrf';

/**
 * `GET /device`: a signed-in person enters (or, from `verification_url_complete`, sees pre-filled)
 * the user code, is shown which client asks, and explicitly approves or denies. Nothing is ever
 * approved by visiting a link; the decision is a POST carrying the page's CSRF token.
 */
export function devicePageRoutes(identity: Identity, devices: DeviceStore) {
  const { services } = identity;

  function csrfToken(c: AppContext): string {
    const token = toBase64URL(services.random.bytes(24));
    setCookie(c, CSRF_COOKIE, token, {
      httpOnly: true,
      secure: !isInsecureLocalDevelopment(services.config),
      sameSite: 'Strict',
      path: '/',
    });
    return token;
  }

  const enterCode = (base: string, error?: string, value = '') => html`<h1>Connect a device</h1>
<p>Enter the code shown in your terminal.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="get" action="${base}/device">
<label for="user_code">Code</label>
<input id="user_code" name="user_code" class="code" type="text" autocomplete="off" placeholder="XXXX-XXXX" maxlength="9" value="${value}" required autofocus>
<button type="submit">Continue</button>
</form>`;

  return [
    defineRoute({
      method: 'get',
      path: '/device',
      summary: 'The device approval page (enter or confirm a user code)',
      tags: ['pages'],
      query: z.object({ user_code: z.string().max(32).optional() }),
      responses: {
        200: { description: 'HTML' },
        303: { description: 'Not signed in: to the login page and back' },
      },
      handler: async (c, { query }) => {
        const base = pageBase(c);
        const auth = await getAuth(c, services);
        if (auth.authMethod !== 'session' || auth.email === null) {
          const back = `${base}/device${query.user_code ? `?user_code=${encodeURIComponent(query.user_code)}` : ''}`;
          return c.redirect(`${base}/login?return_to=${encodeURIComponent(back)}`, 303);
        }
        if (!query.user_code) return renderPage(c, 'Connect a device', enterCode(base));
        const code = normalizeUserCode(query.user_code);
        const pending = code === null ? null : await devices.findPending(code, services.clock.now());
        if (!code || !pending || pending.orgId !== c.get('orgId')) {
          return renderPage(
            c,
            'Connect a device',
            enterCode(base, 'That code is not valid, or it expired.', query.user_code),
            404,
          );
        }
        const csrf = csrfToken(c);
        const decision = (
          approve: boolean,
          label: string,
          cls: string,
        ) => html`<form method="post" action="${base}/device/complete">
<input type="hidden" name="user_code" value="${displayUserCode(code)}">
<input type="hidden" name="csrf" value="${csrf}">
<input type="hidden" name="approve" value="${approve ? 'true' : 'false'}">
<button type="submit" class="${cls}">${label}</button>
</form>`;
        return renderPage(
          c,
          'Approve sign-in',
          html`<h1>Approve this sign-in?</h1>
<p><strong>${pending.client}</strong> wants to act as <strong>${auth.email}</strong> in <strong>${c.get('orgId')}</strong>.</p>
<p>Code <span class="code">${displayUserCode(code)}</span> — check it matches your terminal.</p>
<div class="row">${decision(false, 'Deny', 'secondary')}${decision(true, 'Approve', '')}</div>`,
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/device/done',
      summary: 'After a device decision',
      tags: ['pages'],
      query: z.object({ status: z.enum(['approved', 'denied']) }),
      responses: { 200: { description: 'HTML' } },
      handler: (c, { query }) =>
        renderPage(
          c,
          query.status === 'approved' ? 'Approved' : 'Denied',
          query.status === 'approved'
            ? html`<h1>Device approved</h1><p class="ok">Return to your terminal.</p>`
            : html`<h1>Request denied</h1><p>The device was not signed in. You can close this tab.</p>`,
        ),
    }),
  ];
}
