import { defineRoute } from '../http/route-table.js';

/** The one stylesheet of the hosted pages: plain, readable, high contrast, works in dark mode. */
const STYLESHEET = `:root{color-scheme:light dark;--bg:#f5f6f8;--card:#fff;--text:#14171f;--muted:#5b6170;--accent:#2f5bea;--accent-text:#fff;--border:#d8dce4;--danger:#b42318;--ok:#067647}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--card:#171a21;--text:#e8eaf0;--muted:#9aa1b2;--accent:#6d8cff;--accent-text:#0f1115;--border:#2a2f3a;--danger:#ff7a6e;--ok:#4cd49a}}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.card{width:min(420px,calc(100vw - 32px));background:var(--card);border:1px solid var(--border);border-radius:12px;padding:32px;box-shadow:0 8px 24px rgba(0,0,0,.06)}
.brand{margin:0 0 8px;font-weight:700;letter-spacing:.08em;text-transform:uppercase;font-size:12px;color:var(--muted)}
h1{font-size:22px;margin:0 0 8px}p{margin:0 0 16px;color:var(--muted)}
label{display:block;font-weight:600;margin:16px 0 6px}
input[type=email],input[type=password],input[type=text]{width:100%;padding:10px 12px;border:1px solid var(--border);border-radius:8px;background:transparent;color:var(--text);font:inherit}
input:focus-visible,button:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.code{font:600 20px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;letter-spacing:.2em;text-transform:uppercase;text-align:center}
button{width:100%;margin-top:16px;padding:10px 14px;border:0;border-radius:8px;background:var(--accent);color:var(--accent-text);font-family:inherit;font-size:15px;font-weight:600;line-height:1.4;cursor:pointer}
button.secondary{background:transparent;color:var(--text);border:1px solid var(--border)}
.row{display:flex;gap:12px}.row button{flex:1}
.error{color:var(--danger);font-weight:600}.ok{color:var(--ok);font-weight:600}
.divider{margin:24px 0 0;padding-top:16px;border-top:1px solid var(--border)}
details summary{cursor:pointer;color:var(--muted);margin-top:16px}
label.check{display:flex;align-items:center;gap:8px;font-weight:400;color:var(--muted)}label.check input{width:18px;height:18px;margin:0}
`;

export const assetRoutes = [
  defineRoute({
    method: 'get',
    path: '/assets/pylon.css',
    summary: 'The hosted pages’ stylesheet',
    tags: ['pages'],
    responses: { 200: { description: 'CSS' } },
    handler: (c) => {
      c.header('Cache-Control', 'public, max-age=3600');
      c.header('Content-Type', 'text/css; charset=utf-8');
      return c.body(STYLESHEET);
    },
  }),
];
