import { z } from 'zod';

/** The most entries one page of an audit log holds (the server's AUDIT_PAGE_MAX). */
export const AUDIT_PAGE_MAX = 1000;

/** `since` in milliseconds; without `since` or `cursor`, the latest `limit` entries. */
export const AuditQuery = z.object({
  since: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).optional(),
  action: z.string().max(100).optional(),
  cursor: z.string().max(200).optional(),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

/**
 * One audit entry, on `GET /audit` (an org's, `ts` in milliseconds) and `GET /api/auth/audit/deployment`
 * (deployment-wide). `target` is the target's id where it has one (a person's user id), else its
 * email, else its hash; `target_email` and `target_hash` are set when the event is about an address.
 */
export const AuditEntry = z.object({
  ts: z.number(),
  action: z.string(),
  actor: z.string(),
  actor_type: z.string(),
  actor_id: z.string().nullable(),
  target: z.string().optional(),
  target_email: z.string().optional(),
  target_hash: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
  org: z.string(),
  /**
   * On an org's `GET /audit`: the entry's place in the org's hash chain and its chain hash, and the
   * rest of what that hash commits to (`ip`, `request_id`, and `erased`, the digests recorded for
   * fields account deletion overwrote), so that an export can be re-checked offline.
   */
  seq: z.number().int().optional(),
  hash: z.string().optional(),
  ip: z.string().nullable().optional(),
  request_id: z.string().nullable().optional(),
  erased: z.record(z.string(), z.string()).optional(),
  /**
   * The stored text of `detail` (and, on an org's `GET /audit`, `erased`) where it does not decode
   * as Pylon writes it — changed behind Pylon's back; `detail` or `erased` is then absent.
   */
  undecodable: z.object({ detail: z.string().optional(), erased: z.string().optional() }).optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** A page of entries, oldest first; `next_cursor` when more follow. */
export const AuditPage = z.object({ entries: z.array(AuditEntry), next_cursor: z.string().optional() });
export type AuditPage = z.infer<typeof AuditPage>;

/** `GET /audit/verify`: check the chain from place `from` (default: its first kept entry). */
export const AuditVerifyQuery = z.object({
  from: z.coerce.number().int().min(1).optional(),
});
export type AuditVerifyQuery = z.infer<typeof AuditVerifyQuery>;

/**
 * The chain check's answer. `first_broken` names the first link that does not hold: the place
 * (`seq`), the stored entry's `id` where there is one, and why (`missing`, `hash_mismatch`,
 * `erasure_invalid`, `unchained`, `outside_chain`, `prune_unrecorded`, `checkpoint_signature`,
 * `checkpoint_mismatch`, `checkpoint_unknown_key`); with `outside_chain`, `outside_chain` counts
 * the entries outside the chain.
 */
export const AuditVerifyReport = z.object({
  ok: z.boolean(),
  org: z.string(),
  from: z.number(),
  checked: z.number(),
  head: z.object({ seq: z.number(), hash: z.string() }),
  checkpoints: z.number(),
  last_checkpoint: z.object({ seq: z.number(), at: z.number(), kid: z.string() }).optional(),
  pruned_through: z.number(),
  outside_chain: z.number().optional(),
  first_broken: z
    .object({ seq: z.number().nullable(), id: z.number().nullable(), reason: z.string() })
    .optional(),
});
export type AuditVerifyReport = z.infer<typeof AuditVerifyReport>;
