import { html, type SafeHTML } from './html.js';

/**
 * What `GET /bootstrap` shows. Each state is decided by the route (bootstrap-routes.ts); this file
 * only renders. No state names the configured bootstrap address or the current admin.
 */
export type BootstrapPageState =
  | { kind: 'claimable'; email: string; csrf: string; devMode: boolean }
  | { kind: 'signed_out' }
  | { kind: 'unverified'; email: string }
  | { kind: 'not_configured' }
  | { kind: 'wrong_email'; email: string }
  | { kind: 'other_org'; orgId: string; defaultPage: string }
  | { kind: 'you_are_admin'; email: string }
  | { kind: 'taken' };

export const BOOTSTRAP_PAGE_TITLE = 'Become admin';

export function renderBootstrapPage(base: string, state: BootstrapPageState): SafeHTML {
  const heading = html`<h1>Become the first admin</h1>`;
  switch (state.kind) {
    case 'claimable':
      return html`${heading}
<p>Nobody administers this deployment yet. Claiming makes <strong>${state.email}</strong> an owner of the default org with the <strong>pylon-admin</strong> role. It works once.</p>
${state.devMode ? html`<p>Development mode: the first verified sign-in may claim it.</p>` : ''}
<form method="post" action="${base}/bootstrap">
<input type="hidden" name="csrf" value="${state.csrf}">
<button type="submit">Claim admin</button>
</form>`;
    case 'signed_out':
      return html`${heading}
<p>Sign in first, then come back to this page to claim admin.</p>
<form method="get" action="${base}/login">
<input type="hidden" name="return_to" value="${base}/bootstrap">
<button type="submit">Sign in</button>
</form>`;
    case 'unverified':
      return html`${heading}
<p>You are signed in as <strong>${state.email}</strong>, but that address is not verified yet. Sign in with an emailed code (it verifies the address), then return here.</p>`;
    case 'not_configured':
      return html`${heading}
<p>In production the first admin is named in advance. Set <code>PYLON_BOOTSTRAP_ADMIN_EMAIL</code> to your address, restart the server, sign in as that address, then run <code>pylon bootstrap</code> or return to this page.</p>`;
    case 'wrong_email':
      return html`${heading}
<p>You are signed in as <strong>${state.email}</strong>, which is not the address this deployment names in <code>PYLON_BOOTSTRAP_ADMIN_EMAIL</code>. Sign in as that address to claim admin.</p>`;
    case 'other_org':
      return html`${heading}
<p>The first admin is claimed in the deployment's default org, not in <strong>${state.orgId}</strong>. Open <a href="${state.defaultPage}">${state.defaultPage}</a> instead.</p>`;
    case 'you_are_admin':
      return html`<h1>You are an admin</h1>
<p class="ok" role="status"><strong>${state.email}</strong> administers this deployment.</p>
<p>From a terminal: <code>pylon login</code>, then <code>pylon whoami</code> shows <code>pylon-admin</code>.</p>`;
    case 'taken':
      return html`${heading}
<p>This deployment already has an admin. Ask them to invite you or grant you a role.</p>`;
  }
}
