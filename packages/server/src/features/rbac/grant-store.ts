import type { Selectable } from 'kysely';
import { withCapabilityBump } from '../../storage/capability-versions.js';
import type { DB } from '../../storage/database.js';
import { prepareQuery } from '../../storage/prepared-query.js';
import type { GrantsTable } from '../../storage/schema.js';

export interface Grant {
  orgId: string;
  appId: string;
  emailHash: string;
  email: string | null;
  archetype: string;
  capabilities: string[];
  grantedAt: number;
  grantedBy: string;
}

type Row = GrantsTable;

function toGrant(row: Row): Grant {
  return {
    orgId: row.org_id,
    appId: row.app_id,
    emailHash: row.email_hash,
    email: row.email,
    archetype: row.archetype,
    capabilities: JSON.parse(row.capabilities) as string[],
    grantedAt: Number(row.granted_at),
    grantedBy: row.granted_by,
  };
}

/** Grants, keyed by (org, app, sha256 of the normalised email). */
export class GrantStore {
  /** One person's grant in one app, compiled once: the `pylon` app's capability checks read it. */
  private readonly findQuery;

  constructor(private readonly db: DB) {
    this.findQuery = prepareQuery<Selectable<GrantsTable>, 'orgId' | 'appId' | 'emailHash'>((value) =>
      db
        .selectFrom('grants')
        .selectAll()
        .where('org_id', '=', value('orgId'))
        .where('app_id', '=', value('appId'))
        .where('email_hash', '=', value('emailHash')),
    );
  }

  /** Insert or replace the grant for this (org, app, email hash) in one statement. */
  async upsert(trx: DB, grant: Grant): Promise<void> {
    const values = {
      org_id: grant.orgId,
      app_id: grant.appId,
      email_hash: grant.emailHash,
      email: grant.email,
      archetype: grant.archetype,
      capabilities: JSON.stringify(grant.capabilities),
      granted_at: grant.grantedAt,
      granted_by: grant.grantedBy,
    };
    await withCapabilityBump(trx, grant.orgId, (db) =>
      db
        .insertInto('grants')
        .values(values)
        .onConflict((oc) =>
          oc.columns(['org_id', 'app_id', 'email_hash']).doUpdateSet({
            email: (eb) => eb.fn.coalesce(eb.ref('excluded.email'), eb.ref('grants.email')),
            archetype: values.archetype,
            capabilities: values.capabilities,
            granted_at: values.granted_at,
            granted_by: values.granted_by,
          }),
        )
        .execute(),
    );
  }

  async find(orgId: string, appId: string, emailHash: string, db: DB = this.db): Promise<Grant | null> {
    const row = (await this.findQuery.run(db, { orgId, appId, emailHash }))[0];
    return row ? toGrant(row) : null;
  }

  /** Whether anyone holds this archetype in the app (one indexed read, stops at the first). */
  async anyHolds(orgId: string, appId: string, archetype: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('grants')
      .select('email_hash')
      .where('org_id', '=', orgId)
      .where('app_id', '=', appId)
      .where('archetype', '=', archetype)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async list(orgId: string, appId?: string): Promise<Grant[]> {
    let query = this.db.selectFrom('grants').selectAll().where('org_id', '=', orgId);
    if (appId !== undefined) query = query.where('app_id', '=', appId);
    const rows = await query.orderBy('app_id').orderBy('granted_at').execute();
    return rows.map(toGrant);
  }

  /** Remove one grant; the revoked grant (its email, where known, names it in the audit), or null. */
  async revoke(trx: DB, orgId: string, appId: string, emailHash: string): Promise<Grant | null> {
    const row = await withCapabilityBump(trx, orgId, (db) =>
      db
        .deleteFrom('grants')
        .where('org_id', '=', orgId)
        .where('app_id', '=', appId)
        .where('email_hash', '=', emailHash)
        .returningAll()
        .executeTakeFirst(),
    );
    return row ? toGrant(row) : null;
  }

  /** Remove every grant of one person in the org's apps (they left it); returns them. */
  async revokeAllOf(trx: DB, orgId: string, emailHash: string): Promise<Grant[]> {
    const rows = await withCapabilityBump(trx, orgId, (db) =>
      db
        .deleteFrom('grants')
        .where('org_id', '=', orgId)
        .where('email_hash', '=', emailHash)
        .returningAll()
        .execute(),
    );
    return rows.map(toGrant);
  }

  /**
   * Take out of the app's grants every extra capability not among `kept` (a schema version that
   * removed it was approved), so a later version adding it back does not hand it out again;
   * returns each changed grant as it is now, with what was taken out.
   */
  async stripCapabilitiesNotIn(
    trx: DB,
    orgId: string,
    appId: string,
    kept: ReadonlySet<string>,
  ): Promise<Array<{ grant: Grant; removed: string[] }>> {
    const rows = await trx
      .selectFrom('grants')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('app_id', '=', appId)
      .where('capabilities', '!=', '[]')
      .execute();
    const changed: Array<{ grant: Grant; removed: string[] }> = [];
    for (const row of rows) {
      const grant = toGrant(row);
      const removed = grant.capabilities.filter((cap) => !kept.has(cap));
      if (removed.length > 0)
        changed.push({
          grant: { ...grant, capabilities: grant.capabilities.filter((cap) => kept.has(cap)) },
          removed,
        });
    }
    if (changed.length === 0) return changed;
    // One bump of the org's capability version for them all.
    await withCapabilityBump(trx, orgId, async (db) => {
      for (const { grant } of changed) {
        await db
          .updateTable('grants')
          .set({ capabilities: JSON.stringify(grant.capabilities) })
          .where('org_id', '=', orgId)
          .where('app_id', '=', appId)
          .where('email_hash', '=', grant.emailHash)
          .execute();
      }
    });
    return changed;
  }

  /** Remove the app's grants whose archetype is not among `kept`; returns them. */
  async revokeArchetypesNotIn(
    trx: DB,
    orgId: string,
    appId: string,
    kept: readonly string[],
  ): Promise<Grant[]> {
    const rows = await withCapabilityBump(trx, orgId, (db) => {
      let query = db.deleteFrom('grants').where('org_id', '=', orgId).where('app_id', '=', appId);
      if (kept.length > 0) query = query.where('archetype', 'not in', [...kept]);
      return query.returningAll().execute();
    });
    return rows.map(toGrant);
  }
}
