import { type Random, toBase64URL } from '../../crypto/random.js';
import type { DB } from '../../storage/database.js';
import type { OAuthConsentsTable } from '../../storage/oauth-server-tables.js';
import { discardOutstandingCodes } from './code-store.js';

export interface Consent {
  id: string;
  /** The org whose issuer the consent was given at. */
  orgId: string;
  clientId: string;
  clientName: string;
  resource: string;
  scope: string;
  createdAt: number;
}

function toConsent(row: OAuthConsentsTable): Consent {
  return {
    id: row.id,
    orgId: row.org_id,
    clientId: row.client_id,
    clientName: row.client_name,
    resource: row.resource,
    scope: row.scope,
    createdAt: Number(row.created_at),
  };
}

/** Remembered consents, one per (org, person, client, resource). */
export class ConsentStore {
  constructor(
    private readonly db: DB,
    private readonly random: Random,
  ) {}

  async find(orgId: string, userId: string, clientId: string, resource: string): Promise<Consent | null> {
    const row = await this.db
      .selectFrom('oauth_consents')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .where('resource', '=', resource)
      .executeTakeFirst();
    return row ? toConsent(row) : null;
  }

  /**
   * Remember a consent (or widen a remembered one to `scope`), in one upsert keyed by the unique
   * (org, person, client, resource), so two tabs approving at once leave one row.
   */
  async remember(input: {
    orgId: string;
    userId: string;
    clientId: string;
    clientName: string;
    resource: string;
    scope: string;
    now: number;
  }): Promise<Consent> {
    await this.db
      .insertInto('oauth_consents')
      .values({
        id: `cns_${toBase64URL(this.random.bytes(12))}`,
        org_id: input.orgId,
        user_id: input.userId,
        client_id: input.clientId,
        client_name: input.clientName,
        resource: input.resource,
        scope: input.scope,
        created_at: input.now,
      })
      .onConflict((oc) =>
        oc
          .columns(['org_id', 'user_id', 'client_id', 'resource'])
          .doUpdateSet({ scope: input.scope, client_name: input.clientName }),
      )
      .execute();
    return (await this.find(input.orgId, input.userId, input.clientId, input.resource))!;
  }

  async list(orgId: string, userId: string): Promise<Consent[]> {
    const rows = await this.db
      .selectFrom('oauth_consents')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map(toConsent);
  }

  /** Every consent the person gave, in every org (the account page lists them all). */
  async listForUser(userId: string): Promise<Consent[]> {
    const rows = await this.db
      .selectFrom('oauth_consents')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map(toConsent);
  }

  /** Forget every consent of a person, in the caller's transaction; the count forgotten. */
  async forgetForUser(trx: DB, userId: string): Promise<number> {
    const result = await trx.deleteFrom('oauth_consents').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * Forget one of the person's consents, discard the codes issued under it that were not yet
   * exchanged, and revoke every refresh token issued under it, in one transaction.
   */
  async revoke(orgId: string, userId: string, id: string, now: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const deleted = await trx
        .deleteFrom('oauth_consents')
        .where('id', '=', id)
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) !== 1) return false;
      await discardOutstandingCodes(trx, { consentId: id });
      await trx
        .updateTable('oauth_refresh_tokens')
        .set({ revoked_at: now })
        .where('consent_id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
      return true;
    });
  }
}
