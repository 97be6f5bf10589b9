import { PylonError, sha256Hex } from '@pylon/core';
import { type Brand, DEFAULT_ACCENT, textOnAccent } from '../config/parse-branding.js';
import { defineRoute } from '../http/route-table.js';
import { PASSKEYS_SCRIPT } from './scripts/passkeys-script.js';

/** The one stylesheet of the hosted pages: plain, readable, high contrast, works in dark mode. */
const STYLESHEET = `:root{color-scheme:light dark;--bg:#f5f6f8;--card:#fff;--text:#14171f;--muted:#5b6170;--accent:${DEFAULT_ACCENT};--accent-text:#fff;--border:#d8dce4;--danger:#b42318;--ok:#067647}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--card:#171a21;--text:#e8eaf0;--muted:#9aa1b2;--accent:#6d8cff;--accent-text:#0f1115;--border:#2a2f3a;--danger:#ff7a6e;--ok:#4cd49a}}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.card{width:min(420px,calc(100vw - 32px));background:var(--card);border:1px solid var(--border);border-radius:12px;padding:32px;box-shadow:0 8px 24px rgba(0,0,0,.06);margin:16px 0}
.card.wide{width:min(760px,calc(100vw - 16px))}
@media (max-width:480px){.card{padding:20px}}
.top{display:flex;align-items:center;gap:10px;margin:0 0 8px}.top .brand{margin:0}.logo{width:28px;height:28px;object-fit:contain}
.brand{margin:0 0 8px;font-weight:700;letter-spacing:.08em;text-transform:uppercase;font-size:12px;color:var(--muted)}
.nav{list-style:none;display:flex;flex-wrap:wrap;gap:4px 16px;margin:0 0 16px;padding:0 0 12px;border-bottom:1px solid var(--border)}
.nav a{color:var(--muted);text-decoration:none;font-weight:600}.nav a[aria-current=page]{color:var(--text);text-decoration:underline;text-underline-offset:6px}
a{color:var(--accent)}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 8px}p{margin:0 0 16px;color:var(--muted)}
label{display:block;font-weight:600;margin:16px 0 6px}
input[type=email],input[type=password],input[type=text],input[type=date]{width:100%;padding:10px 12px;border:1px solid var(--border);border-radius:8px;background:transparent;color:var(--text);font:inherit}
input:focus-visible,button:focus-visible,a:focus-visible,summary:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.code{font:600 20px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;letter-spacing:.2em;text-transform:uppercase;text-align:center}code{font:.9em/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
.secret{font:600 15px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all;padding:10px 12px;border:1px dashed var(--border);border-radius:8px;color:var(--text)}
button,.button{display:block;width:100%;margin-top:16px;padding:10px 14px;border:0;border-radius:8px;background:var(--accent);color:var(--accent-text);font-family:inherit;font-size:15px;font-weight:600;line-height:1.4;cursor:pointer;text-align:center;text-decoration:none}
button.secondary,.button.secondary{background:transparent;color:var(--text);border:1px solid var(--border)}
button.small{display:inline-block;width:auto;margin:0;padding:4px 10px;font-size:14px}
button.danger{background:transparent;color:var(--danger);border:1px solid var(--danger)}
.row{display:flex;gap:12px}.row button{flex:1}
.error{color:var(--danger);font-weight:600}.ok{color:var(--ok);font-weight:600}
.notice{color:var(--text);border:1px solid var(--danger);border-left-width:4px;border-radius:8px;padding:10px 12px}
.divider{margin:24px 0 0;padding-top:16px;border-top:1px solid var(--border)}
details summary{cursor:pointer;color:var(--muted);margin-top:16px}
label.check{display:flex;align-items:center;gap:8px;font-weight:400;color:var(--muted)}label.check input{width:18px;height:18px;margin:0}
.links{display:flex;flex-wrap:wrap;gap:8px 16px;margin:16px 0 0;font-size:15px}
.list{list-style:none;margin:0 0 16px;padding:0}.list li{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:8px;padding:10px 0;border-bottom:1px solid var(--border)}
.list li:last-child{border-bottom:0}.list .meta{color:var(--muted);font-size:14px;display:block}.list form{margin:0}
.tag{display:inline-block;font-size:12px;font-weight:700;padding:1px 8px;border-radius:999px;border:1px solid var(--ok);color:var(--ok);margin-left:6px}
.codes{columns:2;font:600 15px/1.8 ui-monospace,SFMono-Regular,Menlo,monospace;color:var(--text);margin:0 0 16px;padding-left:20px}
table{width:100%;border-collapse:collapse;font-size:14px}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--border);vertical-align:top}th{color:var(--muted)}td.when span{white-space:nowrap}td code{overflow-wrap:normal}td code.meta{display:block;color:var(--muted);font-size:12px}
.scroll{overflow-x:auto}
@media (max-width:560px){table,tbody,tr,td{display:block;width:100%}thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}tr{padding:6px 0;border-bottom:1px solid var(--border)}td{border:0;padding:3px 0}td[data-label]{padding-left:6.5em;position:relative;overflow-wrap:anywhere}td[data-label]::before{content:attr(data-label);position:absolute;left:0;width:6em;color:var(--muted);font-weight:600;font-size:13px}}
[hidden]{display:none!important}
`;

/** The stylesheet with the configured accent (PYLON_BRAND_ACCENT), in light and dark alike. */
export function stylesheet(brand: Brand): string {
  if (!brand.accent) return STYLESHEET;
  const text = textOnAccent(brand.accent);
  const vars = `--accent:${brand.accent};--accent-text:${text}`;
  return `${STYLESHEET}:root{${vars}}\n@media (prefers-color-scheme:dark){:root{${vars}}}\n`;
}

/**
 * The icon browsers ask every site for (`/favicon.ico`): a letter on the brand's accent, as SVG
 * (browsers go by the Content-Type, not the name). Without it every first page view logged a 404.
 */
export function favicon(brand: Brand): string {
  const accent = brand.accent ?? DEFAULT_ACCENT;
  // Only a plain letter or digit reaches the markup; anything else (markup, a letter whose capital
  // is two characters) shows the product's P.
  const first = (brand.name.trim()[0] ?? '').toUpperCase();
  const letter = /^[A-Z0-9]$/.test(first) ? first : 'P';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
    `<rect width="32" height="32" rx="7" fill="${accent}"/>` +
    `<text x="16" y="23" text-anchor="middle" font-family="system-ui,sans-serif" font-size="20" font-weight="700" fill="${textOnAccent(accent)}">${letter}</text>` +
    `</svg>`
  );
}

/** A static script, served under a name carrying its content hash, so it can be cached for good. */
export interface PageScript {
  readonly path: string;
  readonly source: string;
}

function script(name: string, source: string): PageScript {
  const hash = sha256Hex(source).slice(0, 12);
  return { path: `/assets/scripts/${name}-${hash}.js`, source };
}

/** The pages' only scripts (progressive enhancement: every page works without them). */
export const PAGE_SCRIPTS = {
  /** WebAuthn: sign in with a passkey on /login, add one on /account/security. */
  passkeys: script('passkeys', PASSKEYS_SCRIPT),
} as const;

/** A body fixed at start-up, public and cacheable for `maxAge` seconds. */
function fixedAsset(path: string, summary: string, type: string, maxAge: number, body: string) {
  return defineRoute({
    method: 'get',
    path,
    summary,
    tags: ['pages'],
    responses: { 200: { description: type.split(';')[0]! } },
    handler: (c) => {
      c.header('Cache-Control', `public, max-age=${maxAge}`);
      c.header('Content-Type', type);
      return c.body(body);
    },
  });
}

/** The stylesheet, the icon and the scripts. */
export function pageAssetRoutes(brand: Brand) {
  const css = stylesheet(brand);
  const icon = favicon(brand);
  const byPath = new Map(Object.values(PAGE_SCRIPTS).map((asset) => [asset.path, asset]));
  return [
    fixedAsset('/assets/pylon.css', 'The hosted pages’ stylesheet', 'text/css; charset=utf-8', 3600, css),
    fixedAsset(
      '/favicon.ico',
      'The hosted pages’ icon (SVG, in the brand’s accent)',
      'image/svg+xml',
      86_400,
      icon,
    ),
    defineRoute({
      method: 'get',
      path: '/assets/scripts/:file',
      summary: 'A hosted page’s script, under a name carrying its content hash',
      tags: ['pages'],
      responses: { 200: { description: 'JavaScript' }, 404: { description: 'NOT_FOUND' } },
      handler: (c) => {
        const asset = byPath.get(c.req.path.replace(/^\/o\/[^/]+/, ''));
        if (!asset) throw new PylonError('NOT_FOUND');
        c.header('Cache-Control', 'public, max-age=31536000, immutable');
        c.header('Content-Type', 'text/javascript; charset=utf-8');
        return c.body(asset.source);
      },
    }),
  ];
}
