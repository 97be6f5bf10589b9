import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { appendAudit } from './audit-log.js';
import { lockChainHead } from './chain.js';

export interface PrunedPrefix {
  org: string;
  /** The last place removed; the chain now starts after it, from its hash. */
  through: number;
  entries: number;
}

/** The pruned head an `audit.pruned` entry records: the last place removed and its hash. */
export interface PruneRecord {
  throughSeq: number;
  /** Absent from entries written before it was recorded: the first kept entry's link binds it then. */
  throughHash?: string;
}

/** The pruned head in an `audit.pruned` entry's detail, or null when the detail does not name one. */
export function readPruneRecord(detail: string | null): PruneRecord | null {
  let value: { through_seq?: unknown; through_hash?: unknown };
  try {
    value = JSON.parse(detail ?? 'null') ?? {};
  } catch {
    return null;
  }
  const { through_seq: throughSeq, through_hash: throughHash } = value;
  if (!Number.isSafeInteger(throughSeq) || (throughSeq as number) < 1) return null;
  if (throughHash === undefined) return { throughSeq: throughSeq as number };
  return typeof throughHash === 'string' ? { throughSeq: throughSeq as number, throughHash } : null;
}

/**
 * Remove, in each org, the longest prefix of its chain whose entries are all older than `before`
 * (ms): a whole prefix, never a gap, so the kept entries still chain from the pruned head, which
 * is recorded with the hash of the last removed entry (verification starts there) and announced by
 * an `audit.pruned` entry in the same transaction. That entry's detail records the same place and
 * hash, in the chain itself: verification requires the recorded head to match the latest one. An
 * entry written at an earlier clock reading after a newer one (a clock stepped back) keeps
 * everything after the newer one.
 */
export async function pruneAudit(db: Kysely<Database>, before: number, now: number): Promise<PrunedPrefix[]> {
  const orgs = await db.selectFrom('audit_chain_heads').select('org').execute();
  const pruned: PrunedPrefix[] = [];
  for (const { org } of orgs) {
    const done = await db.transaction().execute(async (trx) => {
      const head = await lockChainHead(trx, org);
      const { prunedSeq } = head;
      const firstKept = await trx
        .selectFrom('audit_events')
        .select((eb) => eb.fn.min('seq').as('seq'))
        .where('org', '=', org)
        .where('seq', '>', prunedSeq)
        .where('ts', '>=', before)
        .executeTakeFirst();
      const through = firstKept?.seq == null ? head.seq : Number(firstKept.seq) - 1;
      if (through <= prunedSeq) return null;
      const last = await trx
        .selectFrom('audit_events')
        .select('hash')
        .where('org', '=', org)
        .where('seq', '=', through)
        .executeTakeFirst();
      if (!last?.hash)
        throw new Error(`audit chain of ${org} has no entry ${through}; verify it before pruning`);
      const removed = await trx
        .deleteFrom('audit_events')
        .where('org', '=', org)
        .where('seq', '<=', through)
        .executeTakeFirst();
      await trx.deleteFrom('audit_checkpoints').where('org', '=', org).where('seq', '<=', through).execute();
      await trx
        .updateTable('audit_chain_heads')
        .set({ pruned_seq: through, pruned_hash: last.hash })
        .where('org', '=', org)
        .execute();
      const entries = Number(removed.numDeletedRows);
      await appendAudit(trx, now, {
        org,
        action: 'audit.pruned',
        actor: { type: 'system' },
        detail: { through_seq: through, through_hash: last.hash, entries, older_than: before },
      });
      return { org, through, entries };
    });
    if (done) pruned.push(done);
  }
  return pruned;
}
