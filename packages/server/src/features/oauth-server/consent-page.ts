import { isLoopbackHost } from '../../config/config.js';
import { html, type SafeHTML } from '../../pages/html.js';
import type { AuthorizationParams, AuthorizationRequest } from './authorization-request.js';
import { isDocumentClientId } from './clients.js';

const SCOPE_TEXT: Record<string, string> = {
  openid: 'Know who you are (your Pylon account id)',
  profile: 'See your name',
  email: 'See your email address',
  offline_access: 'Stay connected when you are away (refresh tokens)',
};

/**
 * The hosted consent page: which client asks, for which MCP server (resource), with which
 * capabilities and which identity claims, as whom, and where the answer goes (the redirect URI's
 * host, for every client: the name is the client's claim, the host is what the server checked).
 * Names are isolated (`<bdi>`), so one that reorders text cannot reach the sentence around it. The
 * form re-sends the request's parameters (checked again on POST) and the browser-bound token.
 */
export function consentBody(input: {
  action: string;
  params: AuthorizationParams;
  request: AuthorizationRequest;
  email: string | null;
  caps: readonly string[];
  csrf: string;
}): SafeHTML {
  const { request } = input;
  const client = request.client;
  const host = isDocumentClientId(client.clientId) ? new URL(client.clientId).host : null;
  const destination = new URL(request.redirectURI);
  const onThisDevice = isLoopbackHost(destination.hostname);
  const hidden = Object.entries(input.params)
    .filter(([, value]) => typeof value === 'string')
    .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value as string}">`);
  const scopes = request.scope
    .split(' ')
    .filter((value) => value !== '')
    .map((value) => html`<li>${SCOPE_TEXT[value] ?? value}</li>`);
  const server = request.app
    ? html`<p>It asks to use <strong><bdi>${request.app.name}</bdi></strong> (<code>${request.app.resource}</code>) as you, with these capabilities:</p>
${
  input.caps.length > 0
    ? html`<ul class="caps">${input.caps.map((cap) => html`<li><code>${cap}</code></li>`)}</ul>`
    : html`<p>No capabilities: you hold none in this app.</p>`
}`
    : '';
  const decision = (value: string, label: string, cls: string) =>
    html`<button type="submit" name="decision" value="${value}" class="${cls}">${label}</button>`;
  return html`<h1>Allow access?</h1>
<p><strong><bdi>${client.clientName}</bdi></strong>${host ? html` (<code>${host}</code>)` : ''} wants access to your account <strong><bdi>${input.email ?? ''}</bdi></strong>.</p>
${server}
${scopes.length > 0 ? html`<p>It will also be able to:</p><ul>${scopes}</ul>` : ''}
<p>Either way, you go back to <code>${destination.host}</code>${onThisDevice ? ', an app on this device' : ''}.</p>
<p>Only allow applications you trust. You can revoke this later from your account.</p>
<form method="post" action="${input.action}">
${hidden}
<input type="hidden" name="csrf" value="${input.csrf}">
<div class="row">${decision('deny', 'Deny', 'secondary')}${decision('allow', 'Allow', '')}</div>
</form>`;
}
