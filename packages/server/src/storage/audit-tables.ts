import type { Generated } from 'kysely';

/** The audit log's tables (migrations 0001, 0009, 0016, 0019), part of `Database` in schema.ts. */
export interface AuditDatabase {
  audit_events: AuditEventsTable;
  audit_chain_heads: AuditChainHeadsTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_checkpoint_keys: AuditCheckpointKeysTable;
}

export interface AuditEventsTable {
  id: Generated<number>;
  ts: number;
  org: string;
  action: string;
  actor: string;
  /** `user`, `admin`, `system`, `anonymous`, `app`, `external` (migration 0009). */
  actor_type: string | null;
  actor_id: string | null;
  target: string | null;
  target_email: string | null;
  target_hash: string | null;
  detail: string | null;
  ip: string | null;
  request_id: string | null;
  /** The entry's place in its org's hash chain (migration 0019); null only on rows written behind Pylon's back. */
  seq: number | null;
  /** SHA-256 of the previous entry's hash and this entry's canonical encoding (audit/chain.ts). */
  hash: string | null;
  /** JSON digests of personal fields erased by account deletion, which the hash commits to instead. */
  erased: string | null;
}

/** Each org's chain head (locked by every append) and the head of the prefix retention pruned. */
export interface AuditChainHeadsTable {
  org: string;
  seq: number;
  hash: string;
  pruned_seq: number;
  pruned_hash: string;
}

/** The chain head at `seq`, signed with the deployment key (a compact JWS of org, seq and hash). */
export interface AuditCheckpointsTable {
  org: string;
  seq: number;
  hash: string;
  kid: string;
  signature: string;
  at: number;
}

/** The public key of every key that signed a checkpoint, sealed so only this deployment can add one. */
export interface AuditCheckpointKeysTable {
  kid: string;
  public_jwk_sealed: string;
  created_at: number;
}
