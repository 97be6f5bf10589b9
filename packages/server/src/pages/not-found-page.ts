import type { AppContext } from '../http/context.js';
import { html } from './html.js';
import { pageBase, renderPage } from './page-context.js';

/**
 * Whether the request's Accept names HTML. Browsers send `text/html` first on every navigation, a
 * link followed or a form posted; fetch, curl and the SDK do not.
 */
export function acceptsHTML(c: AppContext): boolean {
  return /\btext\/html\b/i.test(c.req.header('accept') ?? '');
}

/** Whether a person's browser asked, rather than an API client: a GET or HEAD whose Accept names HTML. */
export function wantsHTML(c: AppContext): boolean {
  const method = c.req.method;
  return (method === 'GET' || method === 'HEAD') && acceptsHTML(c);
}

/**
 * What a browser gets for a path with no route: the base (`/`, `/o/{org}/`) leads to the sign-in
 * page; anything else is an HTML 404 with a way back. API clients keep the JSON 404. A path whose
 * routes take other methods than the browser's GET (a form's POST target) has no page either: the
 * same page, as a 405 with its `Allow`.
 */
export function browserNotFound(c: AppContext, refused?: { status: 405; allow: string }): Response {
  const base = pageBase(c);
  if (!refused && (c.req.path === '/' || c.req.path === base || c.req.path === `${base}/`)) {
    return c.redirect(`${base}/login`, 302);
  }
  if (refused) c.header('Allow', refused.allow);
  return renderPage(
    c,
    'Not found',
    html`<h1>Not found</h1>
<p>There is no page at this address.</p>
<p><a href="${base}/login">Go to sign-in</a></p>`,
    refused?.status ?? 404,
  );
}
