/** Escape text for HTML element content and attribute values. */
export function escapeHTML(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A tagged template that escapes every interpolation unless it is already `SafeHTML`. */
export class SafeHTML {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHTML {
  let out = strings[0]!;
  values.forEach((value, index) => {
    const rendered = Array.isArray(value)
      ? value.map((item) => (item instanceof SafeHTML ? item.value : escapeHTML(String(item)))).join('')
      : value instanceof SafeHTML
        ? value.value
        : value === null || value === undefined || value === false
          ? ''
          : escapeHTML(String(value));
    out += rendered + strings[index + 1]!;
  });
  return new SafeHTML(out);
}

/** Third-party sources a page adds to its CSP, per directive (a captcha widget's). */
export interface CSPSources {
  script: readonly string[];
  frame: readonly string[];
  style?: readonly string[];
  connect?: readonly string[];
}

/**
 * Hosted pages: no inline script or style, styles from one stylesheet on our origin, forms only to
 * us (CSP `form-action 'self'`), never framed. A page that carries a captcha widget adds that
 * provider's sources, and nothing else; a page with one of our own scripts (a static file under
 * `/assets/`, `pageScripts`) allows `script-src 'self'` and `connect-src 'self'`.
 */
export function pageCSP(extra?: CSPSources): string {
  const style = ["'self'", ...(extra?.style ?? [])].join(' ');
  const third = extra
    ? `; script-src ${extra.script.join(' ')}; frame-src ${extra.frame.join(' ')}` +
      (extra.connect ? `; connect-src ${extra.connect.join(' ')}` : '')
    : '';
  return `default-src 'none'; style-src ${style}; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'${third}`;
}

export const PAGE_CSP = pageCSP();

/** The CSP of a page that loads our own static scripts (and, with a captcha, that provider's). */
export const SCRIPT_PAGE_CSP = pageCSP({ script: ["'self'"], frame: ["'none'"], connect: ["'self'"] });

/** The product as the pages show it (PYLON_BRAND_*); without one, Pylon. */
export interface PageBrand {
  readonly name: string;
  readonly logoURL: string | null;
}

/** A link in the page header's navigation; `current` marks the page it is on. */
export interface NavLink {
  readonly href: string;
  readonly label: string;
  readonly current?: boolean;
}

export interface PageInput {
  title: string;
  base: string;
  body: SafeHTML;
  brand?: PageBrand;
  /** Header links (the account pages' sections); none on the sign-in pages. */
  nav?: readonly NavLink[];
  /** A wider column, for pages with tables (the account page). */
  wide?: boolean;
  /** Our own scripts, `/assets/<name>-<hash>.js` paths (the page's CSP must allow 'self'). */
  scripts?: readonly string[];
}

/**
 * The shared layout of every hosted page: the brand (logo and name), optional navigation, one
 * column. No inline script or style anywhere, so the strict CSP holds.
 */
export function page(input: PageInput): string {
  const brand = input.brand ?? { name: 'Pylon', logoURL: null };
  const nav = input.nav?.length
    ? html`<nav aria-label="Account"><ul class="nav">${input.nav.map(
        (link) =>
          html`<li><a href="${link.href}"${link.current ? html` aria-current="page"` : ''}>${link.label}</a></li>`,
      )}</ul></nav>`
    : '';
  const scripts = (input.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} · ${brand.name}</title>
<link rel="stylesheet" href="${input.base}/assets/pylon.css">
${scripts}</head>
<body>
<main class="${input.wide ? 'card wide' : 'card'}">
<header class="top">${
    brand.logoURL ? html`<img class="logo" src="${brand.logoURL}" alt="" width="28" height="28">` : ''
  }<p class="brand">${brand.name}</p></header>
${nav}
${input.body}
</main>
</body>
</html>
`.value;
}

/**
 * Only a same-origin path may be returned to: `/x`, never `//host`, `/\\host` or a URL — checked
 * again after the path is normalised, since dot segments (`/.//host`, `/%2e%2e//host`) resolve to
 * a path that starts with `//`, which a browser reads as another host.
 */
export function safeReturnPath(value: unknown, fallback: string): string {
  if (typeof value !== 'string' || !isPlainPath(value)) return fallback;
  try {
    const url = new URL(value, 'http://same.invalid');
    const path = `${url.pathname}${url.search}`;
    return url.origin === 'http://same.invalid' && isPlainPath(path) ? path : fallback;
  } catch {
    return fallback;
  }
}

function isPlainPath(value: string): boolean {
  return value.startsWith('/') && !value.startsWith('//') && !value.includes('\\');
}
