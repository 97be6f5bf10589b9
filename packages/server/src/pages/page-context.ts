import type { AppContext } from '../http/context.js';
import { type NavLink, PAGE_CSP, page, type SafeHTML } from './html.js';
import { labelTableCells } from './table-labels.js';

/** The org base a page was reached under: '' at the root, `/o/{orgId}` otherwise. */
export function pageBase(c: AppContext): string {
  return c.req.path.startsWith('/o/') ? `/o/${c.get('orgId')}` : '';
}

/** What a page adds to the layout beyond its body. */
export interface PageOptions {
  nav?: readonly NavLink[];
  wide?: boolean;
  /** Our own static scripts (`/assets/<name>-<hash>.js`); the CSP passed must allow 'self'. */
  scripts?: readonly string[];
}

/**
 * A configured logo on another origin is the one image source a page allows beyond its own: the
 * CSP's `img-src` gains exactly that origin.
 */
function withLogo(csp: string, logoURL: string | null | undefined): string {
  if (!logoURL) return csp;
  return csp.replace("img-src 'self'", `img-src 'self' ${new URL(logoURL).origin}`);
}

/**
 * An HTML page in the shared layout (PYLON_BRAND_* name and logo) with the hosted pages' CSP (no
 * inline script or style, our stylesheet, forms to us only).
 */
export function renderPage(
  c: AppContext,
  title: string,
  body: SafeHTML,
  status = 200,
  csp = PAGE_CSP,
  options: PageOptions = {},
): Response {
  const brand = c.get('brand');
  c.header('Content-Security-Policy', withLogo(csp, brand?.logoURL));
  // With `no-referrer` (the API default) browsers send `Origin: null` on form posts, and the
  // same-origin check of our own forms would refuse them.
  c.header('Referrer-Policy', 'same-origin');
  // Pages show personal data and one-time secrets: never from a shared cache or the back button.
  c.header('Cache-Control', 'no-store');
  const labelled = labelTableCells(body);
  return c.html(page({ title, base: pageBase(c), body: labelled, brand, ...options }), status as 200);
}
