import type { DB } from '../../storage/database.js';

/**
 * The one-time bootstrap of an org's first admin (`bootstrap_claims`). The org id is the primary
 * key, so a claim is single-use per org on every process: a second `claim` fails with the
 * database's unique violation, inside the claimant's transaction.
 */
export class BootstrapClaimStore {
  constructor(private readonly db: DB) {}

  async claim(trx: DB, input: { orgId: string; email: string; now: number }): Promise<void> {
    await trx
      .insertInto('bootstrap_claims')
      .values({ org_id: input.orgId, email: input.email, claimed_at: input.now })
      .execute();
  }

  async isClaimed(orgId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('bootstrap_claims')
      .select('org_id')
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    return row !== undefined;
  }
}
