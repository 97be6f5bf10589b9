import { hashEmail } from '@pylon/core';
import type { Kysely, Selectable } from 'kysely';
import type { AuditEventsTable, Database } from '../storage/schema.js';
import { appendChained, parseErased } from './chain.js';

/**
 * The audit scope of deployment-wide events: a person's sign-ins, sign-ups and credentials belong
 * to no org, so no org's audit shows them; deployment admins read them (`GET
 * /api/auth/audit/deployment`). Not a valid org id (org ids are slugs), so it can never collide.
 */
export const DEPLOYMENT_AUDIT = '*';

/** Who acted. A person is named by id and, where known, email (looked up when not given). */
export type AuditActor =
  | { type: 'user'; id: string; email?: string | null }
  | { type: 'external'; id: string; email?: string | null }
  | { type: 'app'; id: string }
  | { type: 'admin' }
  | { type: 'system' }
  | { type: 'anonymous' };

/**
 * What the event is about: an id (user, app, org, key), an email, an email hash — whichever are
 * known. The wire names it by its id first: a person's id stays theirs when their address changes
 * hands, where an address would then name someone else.
 */
export interface AuditTarget {
  id?: string | null;
  email?: string | null;
  emailHash?: string | null;
}

/** One thing that happened. `detail` is JSON-serialisable and never holds a secret. */
export interface AuditEvent {
  org: string;
  action: string;
  /**
   * Who did it. A plain string is still accepted and classified (`admin`, `system`, `anonymous`,
   * `app:<id>`, an email, else a user id); new code passes an AuditActor.
   */
  actor: AuditActor | string;
  target?: AuditTarget | string | null;
  detail?: Record<string, unknown> | null;
  ip?: string | null;
  requestId?: string | null;
}

export interface AuditEntry {
  id: number;
  ts: number;
  org: string;
  action: string;
  /** The wire name of the actor: the email where there is one, `app:<id>` for an app, else the id, else the type. */
  actor: string;
  actor_type: string;
  actor_id: string | null;
  /** The wire name of the target: its id, else its email (a grant, an invite), else its email hash. */
  target: string | null;
  target_email: string | null;
  target_hash: string | null;
  detail: Record<string, unknown> | null;
  ip: string | null;
  request_id: string | null;
  /** Its place in the org's hash chain and its chain hash (chain.ts); null only behind Pylon's back. */
  seq: number | null;
  hash: string | null;
  /** The digests an erasure recorded for the fields it overwrote (chain.ts), or null. */
  erased: string | null;
  /**
   * The stored text of `detail` and `erased` where it does not decode as Pylon writes it (changed
   * behind Pylon's back): that `detail` reads as null, and such an `erased` records no digest.
   */
  undecodable: Undecodable;
}

export interface Undecodable {
  detail?: string;
  erased?: string;
}

export interface AuditQuery {
  org: string;
  action?: string;
  actor?: string;
  /** Only entries whose actor has this id (a user id, an app id). */
  actorId?: string;
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
 * Append an event to its org's hash chain (chain.ts). Pass the transaction the recorded change runs
 * in, so the change and its audit entry commit or roll back together. There is deliberately no
 * update or delete (account deletion's erasure and retention's pruning keep the chain verifiable).
 */
export async function appendAudit(db: Kysely<Database>, ts: number, event: AuditEvent): Promise<void> {
  const actor = typeof event.actor === 'string' ? classifyActor(event.actor) : event.actor;
  // A person is recorded by id (API.md: actor_id is the user id), which the chain then commits to
  // for good: an email alone names no one once the address changes hands.
  if ((actor.type === 'user' || actor.type === 'external') && actor.id === '')
    throw new Error(`audit ${event.action}: a person's entry needs their user id, not only an email`);
  const actorEmail =
    'email' in actor && actor.email !== undefined
      ? actor.email
      : actor.type === 'user'
        ? await emailOfUser(db, actor.id)
        : null;
  const target = typeof event.target === 'string' ? classifyTarget(event.target) : (event.target ?? null);
  const targetEmail = target?.email ?? null;
  const targetHash = target?.emailHash ?? (targetEmail === null ? null : hashEmail(targetEmail));
  await appendChained(db, {
    ts,
    org: event.org,
    action: event.action,
    actor: actorEmail ?? (actor.type === 'app' ? `app:${actor.id}` : 'id' in actor ? actor.id : actor.type),
    actor_type: actor.type,
    actor_id: 'id' in actor ? actor.id : null,
    target: target === null ? null : (target.id ?? targetEmail ?? targetHash),
    target_email: targetEmail,
    target_hash: targetHash,
    detail: event.detail ? JSON.stringify(event.detail) : null,
    ip: event.ip ?? null,
    request_id: event.requestId ?? null,
  });
}

const EMAIL_HASH = /^[0-9a-f]{64}$/;

/** A legacy actor string as an AuditActor. */
export function classifyActor(actor: string): AuditActor {
  if (actor === 'admin' || actor === 'system' || actor === 'anonymous') return { type: actor };
  if (actor.startsWith('app:')) return { type: 'app', id: actor.slice(4) };
  if (actor.includes('@')) return { type: 'user', id: '', email: actor };
  if (actor.startsWith('ext_')) return { type: 'external', id: actor, email: null };
  return { type: 'user', id: actor };
}

function classifyTarget(target: string): AuditTarget {
  if (target.includes('@')) return { email: target };
  if (EMAIL_HASH.test(target)) return { emailHash: target };
  return { id: target };
}

async function emailOfUser(db: Kysely<Database>, userId: string): Promise<string | null> {
  if (userId === '') return null;
  const row = await db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst();
  return row?.email ?? null;
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
  if (query.actorId !== undefined) select = select.where('actor_id', '=', query.actorId);
  if (query.since !== undefined) select = select.where('ts', '>=', query.since);
  if (query.cursor !== undefined) {
    const after = decodeCursor(query.cursor);
    select = select.where((eb) =>
      eb.or([eb('ts', '>', after.ts), eb.and([eb('ts', '=', after.ts), eb('id', '>', after.id)])]),
    );
  }
  const rows = await select.orderBy('ts', 'asc').orderBy('id', 'asc').limit(limit).execute();
  const entries = rows.map(toEntry);
  const last = entries.at(-1);
  return last && entries.length === limit ? { entries, nextCursor: encodeCursor(last) } : { entries };
}

/**
 * The newest `limit` entries, still oldest first: `pylon audit tail` prints a page in the order it
 * comes and shows the latest activity when asked for no `since`. Read newest first by (ts, id), a
 * backwards range scan of the same index as the paged query.
 */
export async function latestAudit(
  db: Kysely<Database>,
  query: Pick<AuditQuery, 'org' | 'action' | 'limit'>,
): Promise<AuditEntry[]> {
  const limit = Math.min(Math.max(query.limit ?? AUDIT_PAGE_DEFAULT, 1), AUDIT_PAGE_MAX);
  let select = db.selectFrom('audit_events').selectAll().where('org', '=', query.org);
  if (query.action !== undefined) select = select.where('action', '=', query.action);
  const rows = await select.orderBy('ts', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.reverse().map(toEntry);
}

/** Whose events: a person by id and, where they have one, email (targets are named by email where known). */
export interface PersonAuditQuery extends Pick<AuditQuery, 'action' | 'since' | 'cursor' | 'limit'> {
  userId: string;
  email: string | null;
  /** The newest `limit` entries (still oldest first) instead of a page after `since`/`cursor`. */
  latest?: boolean;
}

/**
 * A person's own events, across the deployment audit and every org: those they did (`actor_id`,
 * the `audit_events_actor_id_ts` range) and those done to them (the target is their id or their
 * address). Keyset-paged on (ts, id) like `queryAudit`.
 */
export async function queryPersonAudit(db: Kysely<Database>, query: PersonAuditQuery): Promise<AuditPage> {
  const limit = Math.min(Math.max(query.limit ?? AUDIT_PAGE_DEFAULT, 1), AUDIT_PAGE_MAX);
  const select = personAuditSelect(db, query);
  if (query.latest) {
    const rows = await select.orderBy('ts', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return { entries: rows.reverse().map(toEntry) };
  }
  const rows = await select.orderBy('ts', 'asc').orderBy('id', 'asc').limit(limit).execute();
  const entries = rows.map(toEntry);
  const last = entries.at(-1);
  return last && entries.length === limit ? { entries, nextCursor: encodeCursor(last) } : { entries };
}

/**
 * A person's entries: they acted, or they (by id or email) were the target. Each branch of the OR
 * has its index (`audit_events_actor_id_ts`, `_target_ts`, `_target_email_ts`), so no read scans
 * the table. Exported for the query-plan test.
 */
export function personAuditSelect(db: Kysely<Database>, query: PersonAuditQuery) {
  const { userId, email } = query;
  let select = db
    .selectFrom('audit_events')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('actor_id', '=', userId),
        eb('target', '=', userId),
        ...(email === null ? [] : [eb('target_email', '=', email)]),
      ]),
    );
  if (query.action !== undefined) select = select.where('action', '=', query.action);
  if (query.since !== undefined) select = select.where('ts', '>=', query.since);
  if (query.cursor !== undefined) {
    const after = decodeCursor(query.cursor);
    select = select.where((eb) =>
      eb.or([eb('ts', '>', after.ts), eb.and([eb('ts', '=', after.ts), eb('id', '>', after.id)])]),
    );
  }
  return select;
}

function toEntry(row: Selectable<AuditEventsTable>): AuditEntry {
  const detail = parseDetail(row.detail);
  const undecodable: Undecodable = {
    ...(detail === undefined ? { detail: row.detail! } : {}),
    ...(parseErased(row.erased) === undefined ? { erased: row.erased! } : {}),
  };
  return {
    ...row,
    id: Number(row.id),
    ts: Number(row.ts),
    seq: row.seq === null ? null : Number(row.seq),
    actor_type: row.actor_type ?? classifyActor(row.actor).type,
    detail: detail ?? null,
    undecodable,
  };
}

/**
 * A stored `detail`: null when there is none, the object Pylon wrote, or undefined when the text
 * is not a JSON object (changed behind Pylon's back), so one such entry cannot make the log unreadable.
 */
function parseDetail(text: string | null): Record<string, unknown> | null | undefined {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** An entry as both audit surfaces answer it: the pylon-cli fields plus the common shape. */
export function auditEntryBody(entry: AuditEntry) {
  return {
    ts: entry.ts,
    action: entry.action,
    actor: entry.actor,
    actor_type: entry.actor_type,
    actor_id: entry.actor_id,
    ...(entry.target === null ? {} : { target: entry.target }),
    ...(entry.target_email === null ? {} : { target_email: entry.target_email }),
    ...(entry.target_hash === null ? {} : { target_hash: entry.target_hash }),
    ...(entry.detail === null ? {} : { detail: entry.detail }),
    ...(entry.undecodable.detail === undefined ? {} : { undecodable: { detail: entry.undecodable.detail } }),
    org: entry.org,
  };
}

/**
 * An entry with what its chain hash commits to beyond the common shape (its place `seq`, `hash`,
 * `ip`, `request_id`, and the digests of erased fields), so that an export can be re-checked
 * offline against `chainHash`. For the org audit only: these are not the person's own business.
 */
export function chainedAuditEntryBody(entry: AuditEntry) {
  const erased = parseErased(entry.erased);
  return {
    ...auditEntryBody(entry),
    ...(entry.seq === null ? {} : { seq: entry.seq }),
    ...(entry.hash === null ? {} : { hash: entry.hash }),
    ip: entry.ip,
    request_id: entry.request_id,
    ...(entry.erased === null || erased === undefined ? {} : { erased }),
    ...(Object.keys(entry.undecodable).length === 0 ? {} : { undecodable: entry.undecodable }),
  };
}
