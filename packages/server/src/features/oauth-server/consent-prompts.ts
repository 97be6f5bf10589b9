import { hashToken } from '../../crypto/tokens.js';
import type { DB } from '../../storage/database.js';

/**
 * Consent pages shown and not yet answered, by the hash of their form token (the state of the
 * browser's flow binding, itself a hash of the cookie's secret). A page is answered once: `answer`
 * deletes its row in one DELETE … RETURNING, so of two posts of the same form — even from two
 * processes at once — exactly one goes on to a code.
 */
export class ConsentPrompts {
  constructor(private readonly db: DB) {}

  /** Remember a page shown to `userId` with form token `state`, for `ttlMs`. */
  async open(state: string, userId: string, now: number, ttlMs: number): Promise<void> {
    await this.db.deleteFrom('oauth_consent_prompts').where('expires_at', '<=', now).execute();
    await this.db
      .insertInto('oauth_consent_prompts')
      .values({ state_hash: hashToken(state), user_id: userId, expires_at: now + ttlMs })
      .execute();
  }

  /** Spend the page's one answer: whom it was shown to; null if answered, expired or never shown. */
  async answer(state: string, now: number): Promise<{ userId: string } | null> {
    const row = await this.db
      .deleteFrom('oauth_consent_prompts')
      .where('state_hash', '=', hashToken(state))
      .where('expires_at', '>', now)
      .returning('user_id')
      .executeTakeFirst();
    return row ? { userId: row.user_id } : null;
  }
}
