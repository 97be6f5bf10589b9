/**
 * One tiny layout for every Pylon email: a list of blocks rendered twice, as plain text and as
 * HTML, so the two parts always say the same thing. Every interpolation in the HTML is escaped here,
 * so templates never build markup themselves.
 */
export type EmailBlock =
  | { readonly kind: 'paragraph'; readonly text: string }
  | { readonly kind: 'code'; readonly code: string }
  | { readonly kind: 'link'; readonly label: string; readonly href: string }
  | { readonly kind: 'note'; readonly text: string };

/** The product as an email shows it (PYLON_BRAND_*): its name heads the email, its accent the button. */
export interface EmailBrand {
  readonly name: string;
  readonly logoURL: string | null;
  readonly accent: string | null;
}

export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHTML(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** Links go only to web pages: a `javascript:` or `data:` href in an email is an attack. */
export function assertWebURL(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${name} must be an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`${name} must be an http:// or https:// URL`);
  }
  return url.href;
}

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif";
const MONO = 'ui-monospace,SFMono-Regular,Menlo,Consolas,monospace';

function blockText(block: EmailBlock): string {
  switch (block.kind) {
    case 'paragraph':
    case 'note':
      return block.text;
    case 'code':
      return `    ${block.code}`;
    case 'link':
      return `${block.label}: ${block.href}`;
  }
}

const BUTTON = '#111827';

function blockHTML(block: EmailBlock, accent: string): string {
  switch (block.kind) {
    case 'paragraph':
      return `<p style="margin:0 0 16px">${escapeHTML(block.text)}</p>`;
    case 'note':
      return `<p style="margin:24px 0 0;color:#6b7280;font-size:14px">${escapeHTML(block.text)}</p>`;
    case 'code':
      return (
        `<p style="margin:0 0 16px;font-family:${MONO};font-size:28px;font-weight:600;letter-spacing:4px">` +
        `${escapeHTML(block.code)}</p>`
      );
    case 'link': {
      const href = escapeHTML(block.href);
      return (
        `<p style="margin:0 0 16px"><a href="${href}" style="display:inline-block;padding:10px 18px;` +
        `background:${accent};color:${textOn(accent)};text-decoration:none;border-radius:6px">${escapeHTML(block.label)}</a></p>` +
        `<p style="margin:0 0 16px;color:#6b7280;font-size:14px">Or open this link: ` +
        `<a href="${href}" style="color:#374151;word-break:break-all">${href}</a></p>`
      );
    }
  }
}

/** Black or white text, whichever reads better on the button (WCAG relative luminance). */
function textOn(hex: string): string {
  const channel = (i: number) => {
    const v = Number.parseInt(hex.slice(1 + i * 2, 3 + i * 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2) > 0.179 ? '#000000' : '#ffffff';
}

/** The brand's header: its logo (when configured) and its name; no brand, no header. */
function headerHTML(brand: EmailBrand | undefined): string[] {
  if (!brand) return [];
  const logo = brand.logoURL
    ? `<img src="${escapeHTML(assertWebURL(brand.logoURL, 'logoURL'))}" alt="" width="32" height="32" style="vertical-align:middle;margin-right:8px">`
    : '';
  return [`<p style="margin:0 0 24px;font-weight:700;font-size:18px">${logo}${escapeHTML(brand.name)}</p>`];
}

/**
 * One email from its blocks. With a brand (PYLON_BRAND_*), the HTML part is headed by its logo and
 * name and its button takes the accent colour; the text part says the same either way.
 */
export function renderEmail(
  subject: string,
  blocks: readonly EmailBlock[],
  brand?: EmailBrand,
): RenderedEmail {
  const accent = brand?.accent && /^#[0-9a-f]{6}$/i.test(brand.accent) ? brand.accent : BUTTON;
  const text = `${blocks.map(blockText).join('\n\n')}\n`;
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHTML(subject)}</title>`,
    '</head>',
    `<body style="margin:0;padding:24px;background:#ffffff;color:#111827;font-family:${FONT};font-size:16px;line-height:1.5">`,
    '<div style="max-width:480px;margin:0 auto">',
    ...headerHTML(brand),
    ...blocks.map((block) => blockHTML(block, accent)),
    '</div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
  return { subject, text, html };
}
