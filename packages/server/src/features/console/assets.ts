import { PylonError, sha256Hex } from '@pylon/core';
import { DEFAULT_ACCENT } from '../../config/parse-branding.js';
import { defineRoute } from '../../http/route-table.js';

/** The console's stylesheet: wide tables and forms, readable on a phone, light and dark. */
const STYLESHEET = `:root{color-scheme:light dark;--bg:#f5f6f8;--card:#fff;--text:#14171f;--muted:#5b6170;--accent:${DEFAULT_ACCENT};--accent-text:#fff;--border:#d8dce4;--danger:#b42318;--ok:#067647;--del:#fde7e5;--add:#e3f6ec}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--card:#171a21;--text:#e8eaf0;--muted:#9aa1b2;--accent:#6d8cff;--accent-text:#0f1115;--border:#2a2f3a;--danger:#ff7a6e;--ok:#4cd49a;--del:#3a1a18;--add:#12311f}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent)}a:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,button:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--card);padding:8px}
header{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;padding:12px 16px;border-bottom:1px solid var(--border);background:var(--card)}
header .brand{font-weight:700;letter-spacing:.08em;text-transform:uppercase;font-size:12px;color:var(--muted)}
nav ul{display:flex;flex-wrap:wrap;gap:4px 14px;list-style:none;margin:0;padding:0}
nav a[aria-current=page]{font-weight:700;text-decoration:none;color:var(--text)}
main{max-width:1100px;margin:0 auto;padding:16px}
section{background:var(--card);border:1px solid var(--border);border-radius:12px;padding:16px 20px;margin:0 0 16px}
h1{font-size:24px;margin:8px 0 16px}h2{font-size:18px;margin:0 0 12px}p{margin:0 0 12px}.muted{color:var(--muted)}
.table{overflow-x:auto}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:8px;border-bottom:1px solid var(--border);vertical-align:top}td{overflow-wrap:anywhere}td.nowrap{white-space:nowrap;overflow-wrap:normal}td code{word-break:normal}th{font-size:13px;color:var(--muted)}
form.inline{display:inline}form.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:8px 12px;align-items:end}
label{display:block;font-weight:600;font-size:14px;margin:0 0 4px}
input,select,textarea{width:100%;padding:8px 10px;border:1px solid var(--border);border-radius:8px;background:transparent;color:var(--text);font:inherit}
button{padding:8px 14px;border:0;border-radius:8px;background:var(--accent);color:var(--accent-text);font:600 15px/1.4 inherit;font-family:inherit;cursor:pointer}
button.secondary{background:transparent;color:var(--text);border:1px solid var(--border)}button.danger{background:var(--danger);color:var(--accent-text)}
.notice{border-left:4px solid var(--ok);padding:8px 12px;background:var(--card);margin:0 0 16px;overflow-wrap:anywhere}.error{border-left:4px solid var(--danger);padding:8px 12px;background:var(--card);margin:0 0 16px;color:var(--danger);font-weight:600}
code,.secret{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.diff{display:grid;grid-template-columns:1fr 1fr;gap:12px}@media (max-width:600px){.diff{grid-template-columns:1fr}}
.diff ul{list-style:none;padding:0;margin:0}.diff li{padding:2px 6px;border-radius:4px}.removed{background:var(--del)}.added{background:var(--add)}
.live{font-size:13px;color:var(--muted)}
ul.detail{list-style:none;margin:0;padding:0;font-size:14px;overflow-wrap:anywhere;min-width:12em}ul.detail .key{color:var(--muted)}
@media (max-width:640px){.table table,.table tbody,.table tr,.table td{display:block;width:100%}.table thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.table tr{border:1px solid var(--border);border-radius:8px;padding:6px 10px;margin:0 0 10px}.table td{border:0;padding:4px 0}.table td.nowrap{white-space:normal}ul.detail{min-width:0}
.table td[data-label]{padding-left:6.5em;position:relative;overflow-wrap:anywhere}.table td[data-label]::before{content:attr(data-label);position:absolute;left:0;width:6em;color:var(--muted);font-weight:600;font-size:13px}}
`;

/**
 * The console's script, progressive enhancement only: a form with `data-confirm` asks before it is
 * sent (a destructive action); on the audit page, an EventSource on the page's `data-stream` URL
 * appends each new entry. Without it the forms send at once and the log pages as before.
 */
const SCRIPT = `(function(){document.addEventListener('submit',function(event){var form=event.target;var ask=form&&form.getAttribute&&form.getAttribute('data-confirm');if(ask&&!window.confirm(ask))event.preventDefault();});
var list=document.getElementById('audit-rows');var status=document.getElementById('live-status');
if(!list||!window.EventSource)return;var url=list.getAttribute('data-stream');if(!url)return;
var source=new EventSource(url);source.addEventListener('open',function(){if(status)status.textContent='Live: new entries appear as they happen.';});
var heads=[].map.call(list.parentNode.querySelectorAll('thead th'),function(th){return th.textContent;});
function detail(entry){if(!entry.detail)return entry.undecodable&&entry.undecodable.detail!==undefined?'(undecodable) '+entry.undecodable.detail:'';var ul=document.createElement('ul');ul.className='detail';
Object.keys(entry.detail).forEach(function(key){var li=document.createElement('li');var k=document.createElement('span');k.className='key';k.textContent=key+':';var v=entry.detail[key];li.appendChild(k);li.appendChild(document.createTextNode(' '+(typeof v==='string'?v:JSON.stringify(v))));ul.appendChild(li);});return ul;}
source.addEventListener('audit',function(event){var entry=JSON.parse(event.data);var row=document.createElement('tr');row.className='live-entry';
[new Date(entry.ts).toISOString().replace('T',' ').replace(/\\.\\d+Z$/,' UTC'),entry.action,entry.actor_name?entry.actor_name+' ('+entry.actor+')':entry.actor,entry.target||'',detail(entry)].forEach(function(value,i){var cell=document.createElement('td');if(i===0)cell.className='nowrap';if(heads[i])cell.setAttribute('data-label',heads[i]);if(typeof value==='string')cell.textContent=value;else cell.appendChild(value);row.appendChild(cell);});
list.appendChild(row);});
source.addEventListener('error',function(){if(status)status.textContent=source.readyState===2?'Live tail stopped; reload the page to restart it.':'Live tail interrupted; reconnecting…';});})();
`;

const hashOf = (text: string) => sha256Hex(text).slice(0, 16);

/** Content-addressed names: a changed file gets a new URL, so each may be cached for a year. */
export const CONSOLE_CSS_PATH = `/console/assets/console.${hashOf(STYLESHEET)}.css`;
export const CONSOLE_JS_PATH = `/console/assets/console.${hashOf(SCRIPT)}.js`;

const FILES = new Map([
  [CONSOLE_CSS_PATH.split('/').at(-1)!, { type: 'text/css; charset=utf-8', body: STYLESHEET }],
  [CONSOLE_JS_PATH.split('/').at(-1)!, { type: 'text/javascript; charset=utf-8', body: SCRIPT }],
]);

export const consoleAssetRoutes = [
  defineRoute({
    method: 'get',
    path: '/console/assets/:file',
    summary:
      'The admin console’s stylesheet and its one script (the audit live tail); each name carries its content hash',
    tags: ['console'],
    responses: {
      200: { description: 'CSS or JavaScript, cacheable for a year' },
      404: { description: 'not_found: no such file (an old hash)' },
    },
    handler: (c) => {
      const file = FILES.get(c.req.param('file') ?? '');
      if (!file) throw new PylonError('not_found', { message: 'No such console asset' });
      c.header('Cache-Control', 'public, max-age=31536000, immutable');
      c.header('Content-Type', file.type);
      return c.body(file.body);
    },
  }),
];
