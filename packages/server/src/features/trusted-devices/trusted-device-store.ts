import { type Random, toHex } from '../../crypto/random.js';
import { generatePrefixedToken, hashToken } from '../../crypto/tokens.js';
import type { DB } from '../../storage/database.js';

/** How long a device stays trusted after the challenge that trusted it. */
export const TRUSTED_DEVICE_TTL_MS = 30 * 24 * 3600 * 1000;

export interface TrustedDevice {
  id: string;
  label: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number;
}

/**
 * Devices that skip the second factor. The cookie's token is stored only as its SHA-256 and found
 * by that index (nothing to compare in constant time: an unknown hash finds no row); using one is a
 * single conditional UPDATE that also names the user, so a token only ever vouches for its owner.
 */
export class TrustedDeviceStore {
  constructor(
    private readonly db: DB,
    private readonly random: Random,
  ) {}

  async add(
    trx: DB,
    input: { userId: string; label: string | null; now: number },
  ): Promise<{ id: string; token: string; expiresAt: number }> {
    const id = `td_${toHex(this.random.bytes(12))}`;
    const token = generatePrefixedToken(this.random, 'pytd_');
    const expiresAt = input.now + TRUSTED_DEVICE_TTL_MS;
    await trx
      .insertInto('trusted_devices')
      .values({
        id,
        user_id: input.userId,
        token_hash: hashToken(token),
        label: input.label === null ? null : input.label.slice(0, 512),
        created_at: input.now,
        last_used_at: null,
        expires_at: expiresAt,
      })
      .execute();
    return { id, token, expiresAt };
  }

  /** True, and the device's last use recorded, when `token` is an unexpired device of this user. */
  async use(userId: string, token: string, now: number, db: DB = this.db): Promise<boolean> {
    const result = await db
      .updateTable('trusted_devices')
      .set({ last_used_at: now })
      .where('token_hash', '=', hashToken(token))
      .where('user_id', '=', userId)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async list(userId: string, now: number): Promise<TrustedDevice[]> {
    const rows = await this.db
      .selectFrom('trusted_devices')
      .select(['id', 'label', 'created_at', 'last_used_at', 'expires_at'])
      .where('user_id', '=', userId)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      label: row.label,
      createdAt: Number(row.created_at),
      lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
      expiresAt: Number(row.expires_at),
    }));
  }

  /** Forget one device of this user; false for an unknown id or another user's device. */
  async revoke(userId: string, id: string, db: DB = this.db): Promise<boolean> {
    const result = await db
      .deleteFrom('trusted_devices')
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** Forget every device of this user (password change or reset, TOTP off, first email proof). */
  async revokeAll(userId: string, db: DB = this.db): Promise<number> {
    const result = await db.deleteFrom('trusted_devices').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
