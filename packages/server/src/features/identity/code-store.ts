import { type Random, toBase64URL, toHex } from '../../crypto/random.js';
import { constantTimeEqual, hmacSha256Hex } from '../../platform/node-crypto.js';
import type { DB } from '../../storage/database.js';
import type { CodePurpose } from '../../storage/schema.js';

export const MAX_CODE_ATTEMPTS = 5;

/** Six digits from the CSPRNG, zero-padded; rejection sampling keeps every value equally likely. */
export function generateNumericCode(random: Random, digits = 6): string {
  const range = 10 ** digits;
  const limit = Math.floor(0x1_0000_0000 / range) * range;
  for (;;) {
    const bytes = random.bytes(4);
    const value = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    if (value < limit) return String(value % range).padStart(digits, '0');
  }
}

interface IssueInput {
  purpose: CodePurpose;
  email: string;
  now: number;
  ttlSeconds: number;
}

export type ConsumeResult = 'ok' | 'invalid' | 'burned';

/**
 * One-time codes (magic sign-in, email verification, password reset). A code is stored as an
 * HMAC under a server key bound to its purpose and email: a 6-digit space is too small for a
 * plain hash to protect a leaked table.
 */
export class CodeStore {
  constructor(
    private readonly db: DB,
    private readonly random: Random,
    private readonly pepper: Uint8Array,
  ) {}

  private hash(purpose: CodePurpose, email: string, code: string): string {
    return hmacSha256Hex(this.pepper, `${purpose}\n${email}\n${code}`);
  }

  /** Issue a new code; earlier unused codes for the same purpose and email stop working, atomically. */
  async issue(input: IssueInput & { code: string }): Promise<void> {
    await this.store(input, this.hash(input.purpose, input.email, input.code));
  }

  /**
   * A long single-use token (a reset link) instead of a short code: 256 random bits, so it needs
   * no attempt counter and is found by its keyed hash alone. Earlier tokens for the email stop
   * working.
   */
  async issueToken(input: IssueInput): Promise<string> {
    const token = toBase64URL(this.random.bytes(32));
    await this.store(input, this.tokenHash(input.purpose, token));
    return token;
  }

  /** Withdraw the earlier codes and store the new hash, in one transaction. */
  private async store(input: IssueInput, codeHash: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.withdraw(input.purpose, input.email, input.now, trx);
      await trx
        .insertInto('one_time_codes')
        .values({
          id: toHex(this.random.bytes(12)),
          purpose: input.purpose,
          email: input.email,
          code_hash: codeHash,
          created_at: input.now,
          expires_at: input.now + input.ttlSeconds * 1000,
          consumed_at: null,
        })
        .execute();
    });
  }

  /** Consume a token in one conditional UPDATE; the email it was issued for, or null. */
  async consumeToken(purpose: CodePurpose, token: string, now: number): Promise<string | null> {
    const row = await this.db
      .updateTable('one_time_codes')
      .set({ consumed_at: now })
      .where('purpose', '=', purpose)
      .where('code_hash', '=', this.tokenHash(purpose, token))
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('email')
      .executeTakeFirst();
    return row?.email ?? null;
  }

  private tokenHash(purpose: CodePurpose, token: string): string {
    return hmacSha256Hex(this.pepper, `${purpose}\ntoken\n${token}`);
  }

  /** The newest unused, unexpired code for this purpose and email (its id), or none. */
  private newestUnused(purpose: CodePurpose, email: string, now: number) {
    return this.db
      .selectFrom('one_time_codes')
      .select(['id', 'attempts'])
      .where('purpose', '=', purpose)
      .where('email', '=', email)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** Whether a code for this purpose and email is live: issued, unused, unexpired and not burned. */
  async isLive(purpose: CodePurpose, email: string, now: number): Promise<boolean> {
    const live = await this.newestUnused(purpose, email, now);
    return live !== undefined && live.attempts < MAX_CODE_ATTEMPTS;
  }

  /** Make every unused code for this purpose and email unusable (a new code, a failed send). */
  async withdraw(purpose: CodePurpose, email: string, now: number, db: DB = this.db): Promise<void> {
    await db
      .updateTable('one_time_codes')
      .set({ consumed_at: now })
      .where('purpose', '=', purpose)
      .where('email', '=', email)
      .where('consumed_at', 'is', null)
      .execute();
  }

  /**
   * Check a guess. The attempt is counted by one conditional UPDATE (`attempts < 5`) before the
   * guess is compared, so however many guesses race, at most five are ever evaluated; a correct
   * guess then consumes the code with another conditional UPDATE, so it works exactly once.
   */
  async consume(purpose: CodePurpose, email: string, guess: string, now: number): Promise<ConsumeResult> {
    const live = await this.newestUnused(purpose, email, now);
    if (!live) return 'invalid';
    const claimed = await this.db
      .updateTable('one_time_codes')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', live.id)
      .where('attempts', '<', MAX_CODE_ATTEMPTS)
      .where('consumed_at', 'is', null)
      .returning(['code_hash'])
      .executeTakeFirst();
    if (!claimed) {
      // Refused because the guesses ran out, or because a racer consumed the code since it was
      // read: that one is simply no longer a live code, not a burned one (401, not 429).
      const current = await this.db
        .selectFrom('one_time_codes')
        .select('consumed_at')
        .where('id', '=', live.id)
        .executeTakeFirst();
      return current !== undefined && current.consumed_at === null ? 'burned' : 'invalid';
    }
    if (!constantTimeEqual(claimed.code_hash, this.hash(purpose, email, guess))) return 'invalid';
    const consumed = await this.db
      .updateTable('one_time_codes')
      .set({ consumed_at: now })
      .where('id', '=', live.id)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return Number(consumed.numUpdatedRows) === 1 ? 'ok' : 'invalid';
  }
}
