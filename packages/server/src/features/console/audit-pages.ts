import { PylonError } from '@pylon/core';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import {
  type AuditEntry,
  auditEntryBody,
  encodeCursor,
  InvalidCursorError,
  latestAudit,
  queryAudit,
} from '../../audit/audit-log.js';
import type { AppContext } from '../../http/context.js';
import { defineRoute } from '../../http/route-table.js';
import { html, type SafeHTML } from '../../pages/html.js';
import type { ConsoleDeps } from './console-deps.js';
import { orgPath, personCell, when } from './layout.js';

const PAGE = 50;
/** How often an open live tail reads the audit table for entries after the last one it sent. */
export const TAIL_POLL_MS = 1000;
/**
 * How long one stream lasts. The capability is checked when a stream opens, so a stream ends after
 * this and the browser's EventSource reconnects (with Last-Event-ID, so nothing is missed) through
 * the check again: a revoked session or capability stops the tail within this time.
 */
export const TAIL_MAX_MS = 5 * 60_000;

const AuditFilters = z.object({
  action: z.string().max(100).optional(),
  actor: z.string().max(320).optional(),
  /** ISO 8601 or `YYYY-MM-DDTHH:MM` (a datetime-local field), UTC. */
  from: z.string().max(40).optional(),
  until: z.string().max(40).optional(),
  cursor: z.string().max(200).optional(),
});
type AuditFilters = z.infer<typeof AuditFilters>;

const StreamQuery = z.object({
  action: z.string().max(100).optional(),
  actor: z.string().max(320).optional(),
  after: z.string().max(200).optional(),
});

function time(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  if (Number.isNaN(ms))
    throw new PylonError('validation_failed', { message: `${field}: not a date and time` });
  return ms;
}

const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

/** What is wrong with the filters, said on the page above them: a date that is none, or no range. */
function filterProblem(filters: AuditFilters): string | null {
  let since: number | undefined;
  let until: number | undefined;
  try {
    since = time(filters.from, 'From');
    until = time(filters.until, 'Until');
  } catch (error) {
    if (error instanceof PylonError) return `${error.message}.`;
    throw error;
  }
  if (since !== undefined && until !== undefined && since > until)
    return 'From is later than Until: no entry can be in that range.';
  return null;
}

/** Addresses are kept lower-case: an actor typed with capitals still finds its entries. */
const actorFilter = (value: string | undefined) => {
  const actor = nonEmpty(value?.trim());
  return actor?.includes('@') ? actor.toLowerCase() : actor;
};
const position = (entry: AuditEntry) => encodeCursor({ ts: entry.ts, id: entry.id });

/**
 * The audit log page (`/console/orgs/:id/audit`): filters by action, actor and time range, pages
 * oldest first with the API's keyset cursor, and on the last page a live tail: the page's script
 * opens `…/audit/stream` (server-sent events), which polls the audit table every TAIL_POLL_MS for
 * entries after the last one sent and streams each. Both check `pylon:audit.read`, as GET /audit does.
 */
export function auditPages(deps: ConsoleDeps, tails: Set<AbortController>) {
  const { api, services, render, guarded } = deps;
  const db = services.storage.db;

  /** The path's org, entered only by a reader of its audit log. */
  async function enterOrg(c: AppContext) {
    const org = await deps.enterOrg(c);
    // The capability check of GET /audit itself (pylon:audit.read), by calling it for one entry.
    await api.call(c, 'rbac', 'get', '/audit', { query: { limit: '1' } });
    return org;
  }

  async function read(orgId: string, filters: AuditFilters) {
    const action = nonEmpty(filters.action);
    const actor = actorFilter(filters.actor);
    const since = time(filters.from, 'from');
    const until = time(filters.until, 'until');
    const cursor = nonEmpty(filters.cursor);
    try {
      const page = await queryAudit(db, {
        org: orgId,
        limit: PAGE,
        ...(action ? { action } : {}),
        ...(actor ? { actor } : {}),
        ...(since === undefined ? {} : { since }),
        ...(cursor ? { cursor } : {}),
      });
      const entries = until === undefined ? page.entries : page.entries.filter((entry) => entry.ts <= until);
      const passedUntil = entries.length < page.entries.length;
      return { entries, nextCursor: passedUntil ? undefined : page.nextCursor, live: until === undefined };
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new PylonError('invalid_cursor');
      throw error;
    }
  }

  /**
   * The display names of the users the entries name only by id (no email: an SSO member whose IdP
   * did not vouch for one), so the actor column can show a name beside the id.
   */
  async function actorNames(entries: readonly AuditEntry[]): Promise<Map<string, string>> {
    const ids = [
      ...new Set(
        entries.flatMap((entry) =>
          entry.actor_type === 'user' && entry.actor_id && entry.actor === entry.actor_id
            ? [entry.actor_id]
            : [],
        ),
      ),
    ];
    if (ids.length === 0) return new Map();
    const rows = await db
      .selectFrom('users')
      .select(['id', 'display_name'])
      .where('id', 'in', ids)
      .where('display_name', 'is not', null)
      .execute();
    return new Map(rows.map((row) => [row.id, row.display_name!]));
  }

  return [
    defineRoute({
      method: 'get',
      path: '/console/orgs/:id/audit',
      summary:
        'Admin console: the org’s audit log, filtered and paged, with a live tail (needs pylon:audit.read)',
      tags: ['console'],
      query: AuditFilters,
      responses: {
        200: { description: 'HTML' },
        400: { description: 'HTML: the page with its filters, saying which one cannot be read' },
        401: { description: 'HTML: not signed in' },
        403: { description: 'HTML: insufficient_capability' },
      },
      handler: (c, { query }) =>
        guarded(c, { section: 'audit' }, async () => {
          const org = await enterOrg(c);
          // A filter that cannot be read is said above the form, which keeps what was typed.
          const problem = filterProblem(query);
          const { entries, nextCursor, live } =
            problem === null
              ? await read(org.id, query)
              : { entries: [], nextCursor: undefined, live: false };
          const names = await actorNames(entries);
          const keep = (extra: Record<string, string>) => {
            const params = new URLSearchParams();
            for (const key of ['action', 'actor', 'from', 'until'] as const) {
              const value = nonEmpty(query[key]);
              if (value) params.set(key, value);
            }
            for (const [key, value] of Object.entries(extra)) params.set(key, value);
            return params.toString();
          };
          const last = entries.at(-1);
          // The tail continues after the last entry shown, or from now when the page is empty.
          const after = last ? position(last) : encodeCursor({ ts: services.clock.now(), id: 0 });
          const streamURL =
            nextCursor === undefined && live
              ? `${orgPath(org.id, '/audit/stream')}?${new URLSearchParams({ after, ...(nonEmpty(query.action) ? { action: query.action! } : {}), ...(nonEmpty(query.actor) ? { actor: query.actor! } : {}) })}`
              : '';
          const field = (name: 'action' | 'actor' | 'from' | 'until', label: string, type = 'text') =>
            html`<div><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" type="${type}" value="${query[name] ?? ''}"></div>`;
          return render(c, {
            title: `${org.name}: audit log`,
            place: { section: 'audit', org },
            ...(problem === null ? {} : { error: problem, status: 400 }),
            body: html`<section aria-labelledby="filter-h"><h2 id="filter-h">Filter</h2>
<form method="get" action="${orgPath(org.id, '/audit')}" class="grid">
${field('action', 'Action (e.g. role.granted)')}${field('actor', 'Actor (email, app:id, admin)')}${field('from', 'From (UTC)', 'datetime-local')}${field('until', 'Until (UTC)', 'datetime-local')}
<div><button type="submit">Show</button></div>
</form></section>
<section aria-labelledby="entries-h"><h2 id="entries-h">Entries, oldest first</h2>
<p class="live" id="live-status" aria-live="polite">${streamURL ? 'Showing the latest page; with scripts on, new entries appear below as they happen.' : ''}</p>
<div class="table"><table><thead><tr><th scope="col">Time</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">Detail</th></tr></thead>
<tbody id="audit-rows" data-stream="${streamURL}">
${entries.map((entry) => html`<tr><td class="nowrap">${when(entry.ts)}</td><td>${entry.action}</td><td>${names.has(entry.actor) ? personCell({ email: null, displayName: names.get(entry.actor), id: entry.actor }) : entry.actor}</td><td>${entry.target ?? ''}</td><td>${detailCell(entry)}</td></tr>`)}
</tbody></table></div>
${nextCursor ? html`<p><a href="${orgPath(org.id, '/audit')}?${keep({ cursor: nextCursor })}" rel="next">Next page</a></p>` : ''}
</section>`,
          });
        }),
    }),
    defineRoute({
      method: 'get',
      path: '/console/orgs/:id/audit/stream',
      summary:
        'Admin console: the org’s new audit entries as server-sent events (`audit` events, the id a cursor; needs pylon:audit.read)',
      tags: ['console'],
      query: StreamQuery,
      responses: {
        200: { description: 'text/event-stream' },
        401: { description: 'no_session' },
        403: { description: 'insufficient_capability' },
        404: { description: 'org_not_found' },
      },
      handler: async (c, { query }) => {
        const org = await enterOrg(c);
        const action = nonEmpty(query.action);
        const actor = actorFilter(query.actor);
        // A reconnecting EventSource names the last entry it got; else the page's starting point.
        let cursor = c.req.header('last-event-id') ?? nonEmpty(query.after);
        if (cursor === undefined) {
          const newest = (await latestAudit(db, { org: org.id, limit: 1 })).at(-1);
          cursor = newest ? position(newest) : encodeCursor({ ts: services.clock.now(), id: 0 });
        }
        const abort = new AbortController();
        tails.add(abort);
        return streamSSE(c, async (stream) => {
          stream.onAbort(() => abort.abort());
          try {
            const started = performance.now();
            while (!abort.signal.aborted && performance.now() - started < TAIL_MAX_MS) {
              let page: Awaited<ReturnType<typeof queryAudit>>;
              try {
                page = await queryAudit(db, {
                  org: org.id,
                  cursor: cursor!,
                  limit: 100,
                  ...(action ? { action } : {}),
                  ...(actor ? { actor } : {}),
                });
              } catch (error) {
                if (error instanceof InvalidCursorError) return;
                throw error;
              }
              const names = await actorNames(page.entries);
              for (const entry of page.entries) {
                cursor = position(entry);
                const name = names.get(entry.actor);
                await stream.writeSSE({
                  event: 'audit',
                  id: cursor,
                  data: JSON.stringify({ ...auditEntryBody(entry), ...(name ? { actor_name: name } : {}) }),
                  retry: TAIL_POLL_MS,
                });
              }
              if (page.nextCursor === undefined) await pause(TAIL_POLL_MS, abort.signal);
            }
          } finally {
            tails.delete(abort);
          }
        });
      },
    }),
  ];
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/**
 * The detail as one `key: value` line per field (a nested value as its JSON), wrapping within the
 * column; or the stored text of one that does not decode, marked as such. The live tail's script
 * renders its entries the same way.
 */
function detailCell(entry: AuditEntry): SafeHTML | string {
  if (entry.detail)
    return html`<ul class="detail">${Object.entries(entry.detail).map(([key, value]) => html`<li><span class="key">${key}:</span> ${typeof value === 'string' ? value : JSON.stringify(value)}</li>`)}</ul>`;
  return entry.undecodable.detail === undefined ? '' : `(undecodable) ${entry.undecodable.detail}`;
}
