import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import {
  type ChainHead,
  chainHash,
  ERASABLE_FIELDS,
  type ErasedDigests,
  GENESIS_HASH,
  parseErased,
} from './chain.js';
import type { CheckpointFault, CheckpointVerifier } from './checkpoints.js';
import { readPruneRecord } from './retention.js';

const VERIFY_BATCH = 1000;
const PSEUDONYM = /^deleted-user-[0-9a-f]{16}$/;

/**
 * Why a link is broken. `missing`: no entry at this place (deleted, or the tail cut off below the
 * head); `hash_mismatch`: the entry (or the one before it) is not what was appended; `erasure_invalid`:
 * the entry's record of erased fields does not decode, or a field marked erased holds something other
 * than the pseudonym; `unchained`: an entry written outside the chain (no place); `outside_chain`: an
 * entry at a place outside the chain (before its first kept entry, or past its head);
 * `prune_unrecorded`: the pruned head is not the one the chain's latest `audit.pruned` entry records,
 * or a checkpoint survives in the pruned range; the checkpoint faults: a signed head that does not
 * match or does not verify.
 */
export type BrokenReason =
  | 'missing'
  | 'hash_mismatch'
  | 'erasure_invalid'
  | 'unchained'
  | 'outside_chain'
  | 'prune_unrecorded'
  | CheckpointFault;

export interface BrokenLink {
  seq: number | null;
  /** The stored entry's id, where there is an entry. */
  id: number | null;
  reason: BrokenReason;
}

export interface ChainReport {
  ok: boolean;
  org: string;
  /** The first place checked. */
  from: number;
  /** Entries checked (up to the first broken link). */
  checked: number;
  head: { seq: number; hash: string };
  /** Checkpoints checked, and the newest one that holds. */
  checkpoints: number;
  last_checkpoint?: { seq: number; at: number; kid: string };
  /** The last place retention removed; the chain continues from its hash. */
  pruned_through: number;
  /** With `outside_chain`: how many of the org's entries lie outside the chain. */
  outside_chain?: number;
  first_broken?: BrokenLink;
}

/**
 * Walk an org's chain from `from` (default: the first entry retention kept) to its head,
 * recomputing each entry's hash from the previous one, and check every signed checkpoint on the way.
 * Reports the first broken link. Starting after the beginning trusts the stored hash of the entry
 * before `from`, as a checkpoint would; the full walk trusts nothing but the signing keys. Before
 * the walk, every entry of the org must have a place in the chain; after it, the pruned head must
 * be the one pruning recorded in the chain (which `from` does not change: that entry is trusted
 * when the walk starts after it).
 */
export async function verifyAuditChain(
  db: Kysely<Database>,
  checkpoints: CheckpointVerifier,
  query: { org: string; from?: number },
): Promise<ChainReport> {
  const { org } = query;
  const headRow = await db
    .selectFrom('audit_chain_heads')
    .selectAll()
    .where('org', '=', org)
    .executeTakeFirst();
  const head = headRow ? { seq: Number(headRow.seq), hash: headRow.hash } : { seq: 0, hash: GENESIS_HASH };
  const pruned = headRow
    ? { seq: Number(headRow.pruned_seq), hash: headRow.pruned_hash }
    : { seq: 0, hash: GENESIS_HASH };
  const from = Math.min(Math.max(query.from ?? 1, pruned.seq + 1), head.seq + 1);
  const report: ChainReport = {
    ok: true,
    org,
    from,
    checked: 0,
    head,
    checkpoints: 0,
    pruned_through: pruned.seq,
  };
  const broken = (link: BrokenLink): ChainReport => ({ ...report, ok: false, first_broken: link });

  const unchained = await db
    .selectFrom('audit_events')
    .select('id')
    .where('org', '=', org)
    .where('seq', 'is', null)
    .orderBy('id')
    .executeTakeFirst();
  if (unchained) return broken({ seq: null, id: Number(unchained.id), reason: 'unchained' });
  const outside = await findOutsideChain(db, org);
  if (outside) return { ...broken(outside.first), outside_chain: outside.count };

  let previous: string;
  if (from === pruned.seq + 1) previous = pruned.hash;
  else {
    const before = await db
      .selectFrom('audit_events')
      .select(['hash'])
      .where('org', '=', org)
      .where('seq', '=', from - 1)
      .executeTakeFirst();
    if (!before?.hash) return broken({ seq: from - 1, id: null, reason: 'missing' });
    previous = before.hash;
  }

  const signed = await db
    .selectFrom('audit_checkpoints')
    .select(['seq', 'kid', 'signature', 'at'])
    .where('org', '=', org)
    .where('seq', '>=', from)
    .orderBy('seq')
    .execute();
  const checkpointAt = new Map(signed.map((row) => [Number(row.seq), row]));

  let expected = from;
  while (expected <= head.seq) {
    const rows = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('org', '=', org)
      .where('seq', '>=', expected)
      .where('seq', '<=', head.seq)
      .orderBy('seq')
      .limit(VERIFY_BATCH)
      .execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expected) return broken({ seq: expected, id: null, reason: 'missing' });
      const erased = parseErased(row.erased);
      if (erased === undefined) return broken({ seq, id: Number(row.id), reason: 'erasure_invalid' });
      const hash = chainHash(previous, { ...row, seq: seq });
      if (hash !== row.hash) return broken({ seq, id: Number(row.id), reason: 'hash_mismatch' });
      if (!erasureHolds(row, erased)) return broken({ seq, id: Number(row.id), reason: 'erasure_invalid' });
      const checkpoint = checkpointAt.get(seq);
      if (checkpoint) {
        const fault = await checkpoints.check(
          { org, seq, kid: checkpoint.kid, signature: checkpoint.signature },
          hash,
        );
        if (fault) return broken({ seq, id: Number(row.id), reason: fault });
        report.checkpoints += 1;
        report.last_checkpoint = { seq, at: Number(checkpoint.at), kid: checkpoint.kid };
      }
      report.checked += 1;
      previous = hash;
      expected = seq + 1;
    }
  }
  if (expected <= head.seq) return broken({ seq: expected, id: null, reason: 'missing' });
  if (previous !== head.hash && head.seq >= from)
    return broken({ seq: head.seq, id: null, reason: 'hash_mismatch' });
  const unrecorded = await checkPrunedHead(db, checkpoints, { org, pruned, head });
  if (unrecorded) return broken(unrecorded);
  // A checkpoint beyond the head (read again: entries appended while this ran are not a fault):
  // the tail it signed is gone.
  const now = await db
    .selectFrom('audit_chain_heads')
    .select('seq')
    .where('org', '=', org)
    .executeTakeFirst();
  const headNow = now ? Number(now.seq) : 0;
  const beyond = signed.find((row) => Number(row.seq) > headNow);
  if (beyond) return broken({ seq: headNow + 1, id: null, reason: 'missing' });
  return report;
}

/**
 * The org's entries at a place outside its chain: at or before the pruned head (pruning deletes
 * those), or past the head (every append moves the head with its entry). Each side is one
 * statement that reads the head itself, so an append or a prune committed while verification runs
 * is seen together with the head it moved. Returns how many, and the lowest place.
 */
async function findOutsideChain(
  db: Kysely<Database>,
  org: string,
): Promise<{ count: number; first: BrokenLink } | null> {
  const side = (column: 'pruned_seq' | 'seq') =>
    db
      .selectFrom('audit_events')
      .select((eb) => [eb.fn.countAll().as('count'), eb.fn.min('seq').as('first')])
      .where('org', '=', org)
      .where((eb) =>
        eb(
          'seq',
          column === 'pruned_seq' ? '<=' : '>',
          eb.fn.coalesce(eb.selectFrom('audit_chain_heads').select(column).where('org', '=', org), eb.lit(0)),
        ),
      )
      .executeTakeFirstOrThrow();
  const [before, past] = [await side('pruned_seq'), await side('seq')];
  const count = Number(before.count) + Number(past.count);
  if (count === 0) return null;
  const seq = Number(Number(before.count) > 0 ? before.first : past.first);
  const row = await db
    .selectFrom('audit_events')
    .select('id')
    .where('org', '=', org)
    .where('seq', '=', seq)
    .executeTakeFirst();
  return { count, first: { seq, id: row ? Number(row.id) : null, reason: 'outside_chain' } };
}

/**
 * The pruned head in `audit_chain_heads` is only a copy: the chain itself records each pruning in
 * an `audit.pruned` entry (retention.ts), chained and covered by the checkpoints after it. The
 * copy must be the latest such entry's record (or genesis when there is none); otherwise someone
 * moved it to hide a deleted prefix, whose last hash they can copy to keep the first kept link
 * intact. A checkpoint in the pruned range must not survive either (pruning removes them), except
 * one that signs exactly the pruned head.
 */
async function checkPrunedHead(
  db: Kysely<Database>,
  checkpoints: CheckpointVerifier,
  chain: { org: string; pruned: ChainHead; head: ChainHead },
): Promise<BrokenLink | null> {
  const { org, pruned, head } = chain;
  const latest = await db
    .selectFrom('audit_events')
    .select('detail')
    .where('org', '=', org)
    .where('action', '=', 'audit.pruned')
    .where('seq', '>', pruned.seq)
    .where('seq', '<=', head.seq)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const record = latest ? readPruneRecord(latest.detail) : { throughSeq: 0, throughHash: GENESIS_HASH };
  const recorded =
    record !== null &&
    record.throughSeq === pruned.seq &&
    (record.throughHash === undefined || record.throughHash === pruned.hash);
  if (!recorded) return { seq: pruned.seq, id: null, reason: 'prune_unrecorded' };
  const stale = await db
    .selectFrom('audit_checkpoints')
    .select(['seq', 'kid', 'signature'])
    .where('org', '=', org)
    .where('seq', '<=', pruned.seq)
    .orderBy('seq')
    .execute();
  for (const checkpoint of stale) {
    const seq = Number(checkpoint.seq);
    const pinsPrunedHead =
      seq === pruned.seq &&
      (await checkpoints.check(
        { org, seq, kid: checkpoint.kid, signature: checkpoint.signature },
        pruned.hash,
      )) === null;
    if (!pinsPrunedHead) return { seq, id: null, reason: 'prune_unrecorded' };
  }
  return null;
}

/** An erased field holds the pseudonym (actor, target) or nothing (target email), never other text. */
function erasureHolds(
  row: { actor: string; target: string | null; target_email: string | null },
  erased: ErasedDigests,
) {
  return ERASABLE_FIELDS.every((field) => {
    if (erased[field] === undefined) return true;
    const value = row[field];
    return field === 'target_email' ? value === null : value !== null && PSEUDONYM.test(value);
  });
}
