import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

/** One thing that happened. `detail` is JSON-serialisable and never holds a secret. */
export interface AuditEvent {
  org: string;
  action: string;
  /** Who did it: a user id, an email, `admin`, `system`, or `app:<id>`. */
  actor: string;
  target?: string | null;
  detail?: Record<string, unknown> | null;
  ip?: string | null;
  requestId?: string | null;
}

export interface AuditEntry {
  id: number;
  ts: number;
  org: string;
  action: string;
  actor: string;
  target: string | null;
  detail: Record<string, unknown> | null;
  ip: string | null;
  request_id: string | null;
}

export interface AuditQuery {
  org: string;
  action?: string;
  actor?: string;
  /** Only entries at or after this time (ms). */
  since?: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
  /** 1–1000; default 100. */
  limit?: number;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Present when the page was full: pass it back to continue after the last entry. */
  nextCursor?: string;
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

/**
 * Append an event. Pass the transaction the recorded change runs in, so the change and its audit
 * entry commit or roll back together. There is deliberately no update or delete.
 */
export async function appendAudit(db: Kysely<Database>, ts: number, event: AuditEvent): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      ts,
      org: event.org,
      action: event.action,
      actor: event.actor,
      target: event.target ?? null,
      detail: event.detail ? JSON.stringify(event.detail) : null,
      ip: event.ip ?? null,
      request_id: event.requestId ?? null,
    })
    .execute();
}

interface CursorPosition {
  ts: number;
  id: number;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.ts}.${position.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  const match = /^(\d{1,16})\.(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new InvalidCursorError('invalid cursor');
  return { ts: Number(match[1]), id: Number(match[2]) };
}

export const AUDIT_PAGE_DEFAULT = 100;
export const AUDIT_PAGE_MAX = 1000;

/**
 * A page of an org's audit log, oldest first, continuing after the cursor. Keyset pagination on
 * (ts, id) with the org and optional action or actor as the index prefix keeps every page an index
 * range scan, however large the table grows.
 */
export async function queryAudit(db: Kysely<Database>, query: AuditQuery): Promise<AuditPage> {
  const limit = Math.min(Math.max(query.limit ?? AUDIT_PAGE_DEFAULT, 1), AUDIT_PAGE_MAX);
  let select = db.selectFrom('audit_events').selectAll().where('org', '=', query.org);
  if (query.action !== undefined) select = select.where('action', '=', query.action);
  if (query.actor !== undefined) select = select.where('actor', '=', query.actor);
  if (query.since !== undefined) select = select.where('ts', '>=', query.since);
  if (query.cursor !== undefined) {
    const after = decodeCursor(query.cursor);
    select = select.where((eb) =>
      eb.or([eb('ts', '>', after.ts), eb.and([eb('ts', '=', after.ts), eb('id', '>', after.id)])]),
    );
  }
  const rows = await select.orderBy('ts', 'asc').orderBy('id', 'asc').limit(limit).execute();
  const entries = rows.map((row) => ({
    ...row,
    id: Number(row.id),
    ts: Number(row.ts),
    detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
  }));
  const last = entries.at(-1);
  return last && entries.length === limit ? { entries, nextCursor: encodeCursor(last) } : { entries };
}
