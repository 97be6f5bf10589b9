import { isLoopbackHost } from '../../config/config.js';
import { html, type SafeHTML } from '../../pages/html.js';
import type { AuthorizationParams, AuthorizationRequest } from './authorization-request.js';
import { isDocumentClientId } from './clients.js';

const SCOPE_TEXT: Record<string, string> = {
  openid: 'Know who you are (your Pylon account id)',
  profile: 'See your name',
  email: 'See your email address',
};
/**
 * Not listed as a scope: every code exchange gives a refresh token, asked for or not (docs/MCP.md),
 * so the page says that of every app, in `STAYS_CONNECTED`.
 */
const ALWAYS_GRANTED = new Set(['offline_access']);
const STAYS_CONNECTED =
  'If you allow it, it stays connected, also while you are away, until you disconnect it from your account.';

/**
 * How the client is named. A client an org admin registered is named as the subject of the page; one
 * that registered itself (RFC 7591) or names itself by its metadata document says what it likes,
 * and no one at the org checked it (RFC 7591 §5, RFC 6819 §5.2.3.1): its name is shown quoted, as
 * its own claim, never in the page's own voice, with a notice saying so.
 */
function clientIntro(client: AuthorizationRequest['client'], email: string | null): SafeHTML {
  const host = isDocumentClientId(client.clientId) ? new URL(client.clientId).host : null;
  const account = html`your account <strong><bdi>${email ?? ''}</bdi></strong>`;
  if (client.kind === 'admin')
    return html`<p><strong><bdi>${client.clientName}</bdi></strong> wants access to ${account}.</p>`;
  const checked =
    host === null
      ? 'It registered itself: its name is its own claim, and no one at this organisation checked it.'
      : html`Its name is its own claim, and no one at this organisation checked it; only the address it is served from, <code>${host}</code>, was checked.`;
  return html`<p>An app that calls itself “<bdi>${client.clientName}</bdi>”${host ? html` (<code>${host}</code>)` : ''} wants access to ${account}.</p>
<p class="notice" role="note"><strong>Unverified app.</strong> ${checked} Continue only if you started this from an app you know.</p>`;
}

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
  const destination = new URL(request.redirectURI);
  const onThisDevice = isLoopbackHost(destination.hostname);
  const hidden = Object.entries(input.params)
    .filter(([, value]) => typeof value === 'string')
    .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value as string}">`);
  const scopes = request.scope
    .split(' ')
    .filter((value) => value !== '' && !ALWAYS_GRANTED.has(value))
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
${clientIntro(request.client, input.email)}
${server}
${scopes.length > 0 ? html`<p>It will also be able to:</p><ul>${scopes}</ul>` : ''}
<p>Either way, you go back to <code>${destination.host}</code>${onThisDevice ? ', an app on this device' : ''}.</p>
<p>${STAYS_CONNECTED} Only allow applications you trust.</p>
<form method="post" action="${input.action}">
${hidden}
<input type="hidden" name="csrf" value="${input.csrf}">
<div class="row">${decision('deny', 'Deny', 'secondary')}${decision('allow', 'Allow', '')}</div>
</form>`;
}
