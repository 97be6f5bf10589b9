import { z } from 'zod';
import { getAuth } from '../../http/get-auth.js';
import { defineRoute } from '../../http/route-table.js';
import { formCSRF } from '../../pages/form-csrf.js';
import { html } from '../../pages/html.js';
import { pageBase, renderPage } from '../../pages/page-context.js';
import type { Identity } from '../identity/identity.js';
import { clientIP } from '../identity/route-helpers.js';
import type { OrgStore } from '../orgs/org-store.js';
import { isDeviceApprover } from './device-session.js';
import type { DeviceStore, PendingDevice } from './device-store.js';
import { displayUserCode, normalizeUserCode } from './user-code.js';

/**
 * The device page's double-submit CSRF token, the hosted forms' one mechanism under its own cookie;
 * a fresh token each time the decision is shown.
 */
export const DEVICE_CSRF = formCSRF('pylon_csrf', { reuse: false });

/**
 * Where and when the authorisation was asked for, with a warning when that address is not the
 * approver's own: a code someone else started (device-code phishing) usually comes from elsewhere.
 */
function requestedFrom(pending: PendingDevice, approverIP: string | null, now: number) {
  const minutes = Math.max(0, Math.floor((now - pending.createdAt) / 60_000));
  const when =
    minutes === 0 ? 'less than a minute ago' : minutes === 1 ? '1 minute ago' : `${minutes} minutes ago`;
  if (pending.requestedIP === null) return html`<p>Asked for ${when}.</p>`;
  const elsewhere = approverIP !== null && approverIP !== pending.requestedIP;
  return html`<p>Asked for ${when} from <code>${pending.requestedIP}</code>${
    elsewhere ? html` — not the address you are on now (<code>${approverIP}</code>)` : ''
  }.</p>`;
}

/**
 * `GET /device`: a signed-in person enters (or, from `verification_url_complete`, sees pre-filled)
 * the user code, is shown which client asks, and explicitly approves or denies. Nothing is ever
 * approved by visiting a link; the decision is a POST carrying the page's CSRF token.
 */
export function devicePageRoutes(identity: Identity, devices: DeviceStore, orgs: Pick<OrgStore, 'roleOf'>) {
  const { services } = identity;

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
        403: { description: 'HTML: not a member of this org (any signed-in person may use the default org)' },
      },
      handler: async (c, { query }) => {
        const base = pageBase(c);
        const auth = await getAuth(c, services);
        if (auth.authMethod !== 'session' || auth.email === null || auth.userId === null) {
          const back = `${base}/device${query.user_code ? `?user_code=${encodeURIComponent(query.user_code)}` : ''}`;
          return c.redirect(`${base}/login?return_to=${encodeURIComponent(back)}`, 303);
        }
        const orgId = c.get('orgId');
        // Said before any code is read: whatever code is entered, this person cannot approve it here.
        if (!(await isDeviceApprover(orgs, services.config, orgId, auth.userId))) {
          return renderPage(
            c,
            'Connect a device',
            html`<h1>Connect a device</h1>
<p class="error" role="alert">You are not a member of ${orgId}, so you cannot connect a device to it.</p>
<p>Ask one of its owners or admins to invite you, then open the link in your terminal again.</p>`,
            403,
          );
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
        const csrf = DEVICE_CSRF.token(c, services);
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
<p>A device that calls itself <strong>${pending.client}</strong> asks to sign in as <strong>${auth.email}</strong> in <strong>${c.get('orgId')}</strong>. Approving lets it do everything you can, until it signs out or its session ends.</p>
<p>Code <span class="code">${displayUserCode(code)}</span> — check it matches your terminal.</p>
${requestedFrom(pending, clientIP(c, services), services.clock.now())}
<p class="error" role="alert">Approve only if you started this sign-in yourself, just now, on a device in front of you. If someone sent you this link or code, deny it.</p>
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
            ? html`<h1>Device approved</h1><p class="ok" role="status">Return to your terminal.</p>`
            : html`<h1>Request denied</h1><p>The device was not signed in. You can close this tab.</p>`,
        ),
    }),
  ];
}
