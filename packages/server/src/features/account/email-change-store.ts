import type { DB } from '../../storage/database.js';

/** How long a requested email change waits for its code (the code's own lifetime). */
export const EMAIL_CHANGE_TTL_SECONDS = 10 * 60;

/**
 * Email changes waiting for the code sent to the new address: one per account, a new request
 * replacing the old. The code is in the code store (purpose `email_change`, keyed by the new
 * address); this row says which account asked for which address.
 */
export class EmailChangeStore {
  constructor(private readonly db: DB) {}

  /** Record (or replace) the account's pending change. */
  async request(userId: string, newEmail: string, now: number): Promise<void> {
    const row = {
      user_id: userId,
      new_email: newEmail,
      created_at: now,
      expires_at: now + EMAIL_CHANGE_TTL_SECONDS * 1000,
    };
    await this.db
      .insertInto('pending_email_changes')
      .values(row)
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({
          new_email: row.new_email,
          created_at: row.created_at,
          expires_at: row.expires_at,
        }),
      )
      .execute();
  }

  /** The address the account asked to switch to, while the request is live; else null. */
  async pending(userId: string, now: number): Promise<string | null> {
    const row = await this.db
      .selectFrom('pending_email_changes')
      .select('new_email')
      .where('user_id', '=', userId)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row?.new_email ?? null;
  }

  /** Finish the change: true only for the one caller that removed the row for that address. */
  async complete(trx: DB, userId: string, newEmail: string): Promise<boolean> {
    const result = await trx
      .deleteFrom('pending_email_changes')
      .where('user_id', '=', userId)
      .where('new_email', '=', newEmail)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
