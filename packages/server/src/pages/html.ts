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
 * Hosted pages: no script at all, styles from one stylesheet on our origin, forms only to us
 * (CSP `form-action 'self'`), never framed. A page that carries a captcha widget adds that
 * provider's sources, and nothing else.
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

export function page(input: { title: string; base: string; body: SafeHTML }): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} · Pylon</title>
<link rel="stylesheet" href="${input.base}/assets/pylon.css">
</head>
<body>
<main class="card">
<p class="brand" aria-hidden="true">Pylon</p>
${input.body}
</main>
</body>
</html>
`.value;
}

/** Only a same-origin path may be returned to: `/x`, never `//host`, `/\\host` or a URL. */
export function safeReturnPath(value: unknown, fallback: string): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\'))
    return fallback;
  try {
    const url = new URL(value, 'http://same.invalid');
    return url.origin === 'http://same.invalid' ? `${url.pathname}${url.search}` : fallback;
  } catch {
    return fallback;
  }
}
