import { type Random, toBase64URL, toHex } from '../../crypto/random.js';
import { hashToken } from '../../crypto/tokens.js';
import type { DB } from '../../storage/database.js';
import type { OrgInvitesTable, OrgRole } from '../../storage/schema.js';

export interface Invite {
  id: string;
  orgId: string;
  email: string;
  role: OrgRole;
  invitedBy: string;
  createdAt: number;
  expiresAt: number;
  acceptedAt: number | null;
  /** The user who accepted it (null while pending). */
  acceptedBy: string | null;
}

function toInvite(row: OrgInvitesTable): Invite {
  return {
    id: row.id,
    orgId: row.org_id,
    email: row.email,
    role: row.role,
    invitedBy: row.invited_by,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    acceptedAt: row.accepted_at === null ? null : Number(row.accepted_at),
    acceptedBy: row.accepted_by,
  };
}

/** Org invites: the token (`pyinv_` + 256 bits) is shown once and stored only as its SHA-256. */
export class InviteStore {
  constructor(
    private readonly db: DB,
    private readonly random: Random,
  ) {}

  async create(input: {
    orgId: string;
    email: string;
    role: OrgRole;
    invitedBy: string;
    now: number;
    ttlSeconds: number;
  }): Promise<{ token: string; invite: Invite }> {
    const token = `pyinv_${toBase64URL(this.random.bytes(32))}`;
    const row: OrgInvitesTable = {
      id: `inv_${toHex(this.random.bytes(12))}`,
      org_id: input.orgId,
      email: input.email,
      role: input.role,
      token_hash: hashToken(token),
      invited_by: input.invitedBy,
      created_at: input.now,
      expires_at: input.now + input.ttlSeconds * 1000,
      accepted_at: null,
      accepted_by: null,
    };
    await this.db.insertInto('org_invites').values(row).execute();
    return { token, invite: toInvite(row) };
  }

  async listPending(orgId: string, now: number): Promise<Invite[]> {
    const rows = await this.db
      .selectFrom('org_invites')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('accepted_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toInvite);
  }

  /** Withdraw a pending invite; false when there is none with this id in this org. */
  async revoke(orgId: string, inviteId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('org_invites')
      .where('id', '=', inviteId)
      .where('org_id', '=', orgId)
      .where('accepted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /**
   * Withdraw the other pending invites of the same org and address made no later than `latest`
   * (a re-invite replaces them; their links stop working), in the caller's transaction, which
   * holds the org's lock: of two re-invites that cross, the one that takes the lock second finds
   * its own invite gone and withdraws nothing, so exactly one stays. Returns the withdrawn ids.
   */
  async withdrawEarlier(trx: DB, latest: Invite): Promise<string[]> {
    const mine = await trx
      .selectFrom('org_invites')
      .select('id')
      .where('id', '=', latest.id)
      .executeTakeFirst();
    if (!mine) return [];
    const rows = await trx
      .deleteFrom('org_invites')
      .where('org_id', '=', latest.orgId)
      .where('email', '=', latest.email)
      .where('accepted_at', 'is', null)
      .where('id', '!=', latest.id)
      .where('created_at', '<=', latest.createdAt)
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  }

  async findByToken(trx: DB, token: string): Promise<Invite | null> {
    const row = await trx
      .selectFrom('org_invites')
      .selectAll()
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirst();
    return row ? toInvite(row) : null;
  }

  /** Drop every invite of an org that is being deleted, in the caller's transaction. */
  async deleteForOrg(trx: DB, orgId: string): Promise<void> {
    await trx.deleteFrom('org_invites').where('org_id', '=', orgId).execute();
  }

  /** Mark accepted with one conditional UPDATE: an invite is accepted at most once, on any process. */
  async markAccepted(trx: DB, inviteId: string, userId: string, now: number): Promise<boolean> {
    const result = await trx
      .updateTable('org_invites')
      .set({ accepted_at: now, accepted_by: userId })
      .where('id', '=', inviteId)
      .where('accepted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
