import type { AppContext } from '../http/context.js';
import { PAGE_CSP, page, type SafeHTML } from './html.js';

/** The org base a page was reached under: '' at the root, `/o/{orgId}` otherwise. */
export function pageBase(c: AppContext): string {
  return c.req.path.startsWith('/o/') ? `/o/${c.get('orgId')}` : '';
}

/** An HTML page with the hosted pages' CSP (no script, our stylesheet, forms to us only). */
export function renderPage(
  c: AppContext,
  title: string,
  body: SafeHTML,
  status = 200,
  csp = PAGE_CSP,
): Response {
  c.header('Content-Security-Policy', csp);
  // With `no-referrer` (the API default) browsers send `Origin: null` on form posts, and the
  // same-origin check of our own forms would refuse them.
  c.header('Referrer-Policy', 'same-origin');
  return c.html(page({ title, base: pageBase(c), body }), status as 200);
}
