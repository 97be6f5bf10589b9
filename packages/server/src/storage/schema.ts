import type { Generated } from 'kysely';

/** The tables Pylon's migrations create. Timestamps are milliseconds since the epoch (int8). */
export interface Database {
  orgs: OrgsTable;
  signing_keys: SigningKeysTable;
  audit_events: AuditEventsTable;
}

export interface OrgsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  /** The private JWK sealed with ChaCha20-Poly1305 (AAD binds table, column and kid). */
  private_jwk_sealed: string;
  created_at: number;
  /** When this key becomes the signing key; later than created_at after a rotation. */
  activates_at: number;
}

export interface AuditEventsTable {
  id: Generated<number>;
  ts: number;
  org: string;
  action: string;
  actor: string;
  target: string | null;
  detail: string | null;
  ip: string | null;
  request_id: string | null;
}
