import { createHash } from 'node:crypto';
import { PylonError } from '@pylon/core';
import { type Kysely, sql } from 'kysely';
import { isUniqueViolation } from '../storage/errors.js';
import { bindEach, prepareWriteOnAny } from '../storage/prepared-query.js';
import type { Database } from '../storage/schema.js';

/**
 * Each org's audit entries form a hash chain: entry `seq` stores
 * `hash = SHA-256(hash of entry seq-1 ‖ canonical encoding of entry seq)`, the first entry chaining
 * from GENESIS_HASH (or, after retention pruned a prefix, from the pruned head). Changing, removing
 * or reordering a stored entry therefore breaks the link at that entry, which `verifyAuditChain`
 * reports. The hash has no key, so whoever writes the database can recompute it: signed
 * checkpoints (checkpoints.ts) pin the head at their place, which catches a rewrite at or before a
 * checkpoint signed earlier, but not one after the newest checkpoint, nor entries appended past it.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields an entry's hash commits to, as stored (`ts` may come back from PostgreSQL as a string). */
export interface ChainedFields {
  org: string;
  seq: number | string;
  ts: number | string;
  action: string;
  actor: string;
  actor_type: string | null;
  actor_id: string | null;
  target: string | null;
  target_email: string | null;
  target_hash: string | null;
  detail: string | null;
  ip: string | null;
  request_id: string | null;
  /** JSON of the digests of personal fields erased after the fact (see erasure.ts), or null. */
  erased?: string | null;
}

/** The fields account deletion may overwrite; the hash commits to their digests, not their text. */
export const ERASABLE_FIELDS = ['actor', 'target', 'target_email'] as const;
export type ErasableField = (typeof ERASABLE_FIELDS)[number];

export function fieldDigest(value: string | null): string | null {
  return value === null
    ? null
    : createHash('sha256').update(`pylon-audit-field\n${value}`, 'utf8').digest('hex');
}

/** The digests an erasure recorded, by the field it overwrote. */
export type ErasedDigests = Partial<Record<ErasableField, string>>;

const DIGEST = /^[0-9a-f]{64}$/;

/**
 * The digests recorded in an entry's `erased` ({} when it has none), or undefined when the stored
 * text is not what erasure writes — a JSON object from erasable fields to hex SHA-256 digests — as
 * only a write behind Pylon's back leaves it. Readers show such an entry; verification reports it.
 */
export function parseErased(erased: string | null | undefined): ErasedDigests | undefined {
  if (erased === null || erased === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(erased);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  const valid = entries.every(
    ([field, digest]) =>
      (ERASABLE_FIELDS as readonly string[]).includes(field) &&
      typeof digest === 'string' &&
      DIGEST.test(digest),
  );
  return valid ? (Object.fromEntries(entries) as ErasedDigests) : undefined;
}

/**
 * The canonical encoding: a JSON array of the stored fields in a fixed order (a JSON array has one
 * serialisation for given values, unlike an object whose key order is the writer's). Personal
 * fields enter as digests, the digest recorded at erasure where one was erased, so that erasing an
 * address keeps the chain intact while any other change to them still breaks it.
 */
export function canonicalEntry(fields: ChainedFields): string {
  // An undecodable `erased` records no digest: the fields count as they stand (verification
  // reports such an entry before it compares hashes).
  const erased = parseErased(fields.erased) ?? {};
  const personal = (field: ErasableField) => erased[field] ?? fieldDigest(fields[field]);
  return JSON.stringify([
    'pylon-audit-v1',
    fields.org,
    Number(fields.seq),
    Number(fields.ts),
    fields.action,
    personal('actor'),
    fields.actor_type,
    fields.actor_id,
    personal('target'),
    personal('target_email'),
    fields.target_hash,
    fields.detail,
    fields.ip,
    fields.request_id,
  ]);
}

export function chainHash(previous: string, fields: ChainedFields): string {
  return createHash('sha256').update(previous, 'utf8').update(canonicalEntry(fields), 'utf8').digest('hex');
}

export interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * Lock the org's chain head for the rest of the transaction and read it. One statement on both
 * databases: the upsert takes the head row's lock on PostgreSQL (a concurrent appender to the same
 * org waits until this transaction ends, then sees the head it left) and SQLite's write lock, under
 * which nothing else writes. Other orgs' appends do not wait.
 */
export async function lockChainHead(trx: Kysely<Database>, org: string): Promise<LockedHead> {
  const [head] = await lockHead.run(trx, { org, genesis: GENESIS_HASH });
  return { seq: Number(head!.seq), hash: head!.hash, prunedSeq: Number(head!.pruned_seq) };
}

/** The head, and the last place retention removed (the chain's first kept entry follows it). */
export interface LockedHead extends ChainHead {
  prunedSeq: number;
}

type HeadRow = { seq: number | string; hash: string; pruned_seq: number | string };

const lockHead = prepareWriteOnAny<HeadRow, 'org' | 'genesis'>((db, value) => ({
  compile: () =>
    sql<HeadRow>`
        insert into audit_chain_heads (org, seq, hash, pruned_seq, pruned_hash)
        values (${value('org')}, 0, ${value('genesis')}, 0, ${value('genesis')})
        on conflict (org) do update set seq = audit_chain_heads.seq
        returning seq, hash, pruned_seq`.compile(db),
}));

type NewEntry = Omit<ChainedFields, 'seq' | 'erased'> & { ts: number };

const ENTRY_COLUMNS = [
  'ts',
  'org',
  'action',
  'actor',
  'actor_type',
  'actor_id',
  'target',
  'target_email',
  'target_hash',
  'detail',
  'ip',
  'request_id',
  'seq',
  'hash',
] as const;
type EntryColumn = (typeof ENTRY_COLUMNS)[number];

const insertEntry = prepareWriteOnAny<never, EntryColumn>((db, value) =>
  db.insertInto('audit_events').values(bindEach(ENTRY_COLUMNS, value)),
);

const moveHead = prepareWriteOnAny<never, 'org' | 'seq' | 'hash'>((db, value) =>
  db
    .updateTable('audit_chain_heads')
    .set({ seq: sql<number>`${value('seq')}`, hash: value('hash') })
    .where('org', '=', value('org')),
);

/**
 * Append one entry to its org's chain. Runs in the caller's transaction when given one (so the
 * recorded change and its entry commit together), else in a transaction of its own; either way the
 * head stays locked until that transaction ends, which serialises appends per org.
 *
 * An entry already at the next place was written behind Pylon's back (every append moves the head
 * with its entry). Pylon neither overwrites it nor skips past it, which would take it into the
 * chain: the append fails with `audit_chain_broken`, and with it the change it records, until an
 * operator has found the entry with `pylon audit verify` (`outside_chain`) and removed it.
 */
export async function appendChained(db: Kysely<Database>, entry: NewEntry): Promise<void> {
  if (!db.isTransaction) {
    await db.transaction().execute((trx) => appendChained(trx, entry));
    return;
  }
  const head = await lockChainHead(db, entry.org);
  const seq = head.seq + 1;
  const hash = chainHash(head.hash, { ...entry, seq });
  try {
    await insertEntry.run(db, { ...entry, seq, hash });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    throw new PylonError('audit_chain_broken', {
      cause: new Error(`audit chain of org ${entry.org}: an entry Pylon did not append holds place ${seq}`, {
        cause: error,
      }),
    });
  }
  await moveHead.run(db, { org: entry.org, seq, hash });
}
