import { type Random, toBase64URL, toHex } from '../../crypto/random.js';
import { constantTimeEqual, hmacSha256Hex } from '../../platform/node-crypto.js';
import type { DB } from '../../storage/database.js';

/** `pk.key_<24 hex>.<43 base64url>`: an id to find the row by, and 256 bits of secret. */
const KEY_PATTERN = /^pk\.(key_[0-9a-f]{24})\.([A-Za-z0-9_-]{43})$/;

export interface APIKey {
  id: string;
  userId: string;
  name: string | null;
  scopes: string[];
  expiresAt: number | null;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface KeyOwner {
  key: APIKey;
  email: string | null;
  emailVerified: boolean;
}

export type KeyCheck = { kind: 'ok'; owner: KeyOwner } | { kind: 'invalid' } | { kind: 'expired' };

type Row = {
  id: string;
  user_id: string;
  name: string | null;
  scopes: string;
  expires_at: number | null;
  created_at: number;
  last_used_at: number | null;
};

function toKey(row: Row): APIKey {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as string[],
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}

/**
 * API keys (`/api/auth/api-keys`): the secret is shown once and stored as HMAC-SHA256 under a server
 * pepper, so a stolen table cannot be checked offline without the pepper. Checking a key is one
 * indexed read by id and a constant-time compare.
 */
export class APIKeyStore {
  constructor(
    private readonly db: DB,
    private readonly random: Random,
    private readonly pepper: Uint8Array,
  ) {}

  private hash(secret: string): string {
    return hmacSha256Hex(this.pepper, secret);
  }

  async create(input: {
    userId: string;
    name: string | null;
    scopes: string[];
    expiresAt: number | null;
    now: number;
  }) {
    const id = `key_${toHex(this.random.bytes(12))}`;
    const secret = toBase64URL(this.random.bytes(32));
    const row = {
      id,
      user_id: input.userId,
      name: input.name,
      secret_hash: this.hash(secret),
      scopes: JSON.stringify(input.scopes),
      expires_at: input.expiresAt,
      created_at: input.now,
      last_used_at: null,
    };
    await this.db.insertInto('api_keys').values(row).execute();
    return { key: `pk.${id}.${secret}`, record: toKey(row) };
  }

  async check(presented: string, now: number): Promise<KeyCheck> {
    const match = KEY_PATTERN.exec(presented);
    if (!match) return { kind: 'invalid' };
    const row = await this.db
      .selectFrom('api_keys')
      .innerJoin('users', 'users.id', 'api_keys.user_id')
      .select([
        'api_keys.id',
        'api_keys.user_id',
        'api_keys.name',
        'api_keys.scopes',
        'api_keys.expires_at',
        'api_keys.created_at',
        'api_keys.last_used_at',
        'api_keys.secret_hash',
        'users.email',
        'users.email_verified_at',
        'users.disabled_at',
      ])
      .where('api_keys.id', '=', match[1]!)
      .executeTakeFirst();
    if (!row || row.disabled_at !== null || !constantTimeEqual(row.secret_hash, this.hash(match[2]!)))
      return { kind: 'invalid' };
    if (row.expires_at !== null && Number(row.expires_at) <= now) return { kind: 'expired' };
    return {
      kind: 'ok',
      owner: { key: toKey(row), email: row.email, emailVerified: row.email_verified_at !== null },
    };
  }

  async list(userId: string): Promise<APIKey[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .select(['id', 'user_id', 'name', 'scopes', 'expires_at', 'created_at', 'last_used_at'])
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toKey);
  }

  /** Revoke (delete) one of the user's keys; false for another user's key or an unknown id. */
  async revoke(userId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('api_keys')
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** Revoke every key of a user (the first proof of their address drops keys set before it; a disable ends them). */
  async revokeAllOf(db: DB, userId: string): Promise<number> {
    const result = await db.deleteFrom('api_keys').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async touch(ids: readonly string[], now: number): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({ last_used_at: now })
      .where('id', 'in', [...ids])
      .execute();
  }
}
