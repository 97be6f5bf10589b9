import type { PylonError } from '@pylon/core';
import type { AppContext } from '../../http/context.js';
import { html, type SafeHTML } from '../../pages/html.js';
import { labelTableCells } from '../../pages/table-labels.js';
import { CONSOLE_CSS_PATH, CONSOLE_JS_PATH } from './assets.js';

/**
 * The console's CSP: scripts and styles from our origin only (no inline script or style, no
 * eval), EventSource only to us, forms only to us, never framed.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Where in the console a page is, for the navigation. */
export interface ConsolePlace {
  org?: { id: string; name: string };
  section: 'orgs' | 'members' | 'apps' | 'oauth' | 'sso' | 'audit' | 'deployment';
}

/** What the navigation offers the viewer: the Deployment page only to deployment admins. */
export interface ConsoleNav {
  deploymentAdmin: boolean;
}

export interface ConsolePage {
  title: string;
  place: ConsolePlace;
  body: SafeHTML;
  notice?: string | SafeHTML | undefined;
  error?: string | undefined;
  status?: number;
}

const link = (href: string, label: string, current: boolean) =>
  html`<li><a href="${href}"${current ? html` aria-current="page"` : ''}>${label}</a></li>`;

export function orgPath(orgId: string, rest = ''): string {
  return `/console/orgs/${encodeURIComponent(orgId)}${rest}`;
}

/**
 * A console page: the header and navigation, one `main`, the notice or error, then the body. Pages
 * render through ConsoleDeps.render, which works out `nav` for the viewer.
 */
export function renderConsole(c: AppContext, input: ConsolePage, viewer: ConsoleNav): Response {
  const { org, section } = input.place;
  const nav = html`<nav aria-label="Console"><ul>
${link('/console', 'Organisations', section === 'orgs')}
${org ? [link(orgPath(org.id), 'Members', section === 'members'), link(orgPath(org.id, '/apps'), 'Apps and grants', section === 'apps'), link(orgPath(org.id, '/oauth'), 'OAuth clients', section === 'oauth'), link(orgPath(org.id, '/sso'), 'Single sign-on', section === 'sso'), link(orgPath(org.id, '/audit'), 'Audit log', section === 'audit')] : ''}
${viewer.deploymentAdmin ? link('/console/deployment', 'Deployment', section === 'deployment') : ''}
</ul></nav>`;
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} · Pylon console</title>
<link rel="stylesheet" href="${CONSOLE_CSS_PATH}">
<script src="${CONSOLE_JS_PATH}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><span class="brand">Pylon console${org ? html` · ${org.name}` : ''}</span>${nav}</header>
<main id="main">
<h1>${input.title}</h1>
${input.notice ? html`<div class="notice" role="status">${input.notice}</div>` : ''}
${input.error ? html`<div class="error" role="alert">${input.error}</div>` : ''}
${labelTableCells(input.body)}
</main>
</body>
</html>
`;
  c.header('Content-Security-Policy', CONSOLE_CSP);
  c.header('Referrer-Policy', 'same-origin');
  c.header('Cache-Control', 'no-store');
  return c.html(page.value, (input.status ?? 200) as 200);
}

/**
 * The console's pages a person can be sent back to (its GET routes that show a page); a form's
 * route (POST only) is none of them. A test checks this against the console's route table.
 */
const CONSOLE_PAGES = [
  /^\/console$/,
  /^\/console\/orgs\/[^/]+(?:\/(?:apps|oauth|sso|audit))?$/,
  /^\/console\/orgs\/[^/]+\/apps\/[^/]+\/schema$/,
  /^\/console\/deployment(?:\/users\/[^/]+)?$/,
];

export const isConsolePage = (path: string) => CONSOLE_PAGES.some((page) => page.test(path));

/**
 * Where signing in brings the person back: this page for a GET; for a form's post, the page that
 * held the form (the same-origin Referer, when it is a console page), else the nearest console
 * page above the form's route (`/console/orgs/acme/invites` → `/console/orgs/acme`), never the
 * POST-only route, which a GET would not find.
 */
export function returnPath(c: AppContext): string {
  if (c.req.method === 'GET') return c.req.path;
  const referer = c.req.header('referer');
  if (referer !== undefined && URL.canParse(referer)) {
    const from = new URL(referer);
    if (from.origin === new URL(c.req.url).origin && isConsolePage(from.pathname))
      return `${from.pathname}${from.search}`;
  }
  let path = c.req.path;
  while (!isConsolePage(path) && path.lastIndexOf('/') > 0) path = path.slice(0, path.lastIndexOf('/'));
  return isConsolePage(path) ? path : '/console';
}

/** A refusal as a page: the API's own message under the API's own status. */
export function renderRefusal(
  c: AppContext,
  error: PylonError,
  place: ConsolePlace,
  nav: ConsoleNav,
): Response {
  const signedOut = error.status === 401;
  const missing = error.status === 404;
  return renderConsole(
    c,
    {
      title: signedOut ? 'Sign in' : missing ? 'Not found' : 'Not allowed',
      place,
      status: error.status,
      // Signed out is no fault to report in the API's words: the page says what to do.
      error: signedOut ? undefined : `${error.message} (${error.code})`,
      body: signedOut
        ? html`<section><p>You are not signed in, or your sign-in has ended.${c.req.method === 'GET' ? '' : ' What you sent was not saved.'} Sign in to use the console; you will come back to where you were.</p><p><a href="/login?return_to=${encodeURIComponent(returnPath(c))}">Sign in</a></p></section>`
        : missing
          ? html`<section><p class="muted">Nothing here has that id. <a href="/console">Back to the console</a>.</p></section>`
          : html`<section><p class="muted">The server refused this for your account. Ask an owner or a deployment admin if you need it.</p></section>`,
    },
    nav,
  );
}

export const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}">`;

/** A date (ms since the epoch) as ISO 8601 UTC, readable and unambiguous. */
export const when = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

/**
 * A person as the console names them: the email, else the display name with the user id beside it
 * in small text (an SSO member whose IdP did not vouch for an email has no address), else the id.
 */
export const personCell = (person: {
  email: string | null;
  displayName?: string | null | undefined;
  id: string;
}) =>
  person.email !== null
    ? html`${person.email}`
    : person.displayName
      ? html`${person.displayName} <small class="muted"><code>${person.id}</code></small>`
      : html`${person.id}`;

/**
 * The plain-text name of a person, for labels: the email, else the display name with the user id
 * after it (the display name is the IdP's or the person's own claim and may look like someone
 * else's address; the id is not), else the id.
 */
export const personName = (person: {
  email: string | null;
  displayName?: string | null | undefined;
  id: string;
}) => person.email ?? (person.displayName ? `${person.displayName} (${person.id})` : person.id);
