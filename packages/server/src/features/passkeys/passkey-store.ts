import { type Random, toHex } from '../../crypto/random.js';
import { sha256Base64URL } from '../../platform/node-crypto.js';
import type { DB } from '../../storage/database.js';
import type { PasskeyChallengePurpose } from '../../storage/schema.js';

export interface Passkey {
  id: string;
  userId: string;
  /** base64url rawId. */
  credentialId: string;
  /** base64url COSE public key. */
  publicKey: string;
  counter: number;
  transports: string[];
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

type Row = {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: string;
  counter: number | string;
  transports: string;
  name: string;
  created_at: number | string;
  last_used_at: number | string | null;
};

function toPasskey(row: Row): Passkey {
  return {
    id: row.id,
    userId: row.user_id,
    credentialId: row.credential_id,
    publicKey: row.public_key,
    counter: Number(row.counter),
    transports: JSON.parse(row.transports) as string[],
    name: row.name,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}

export interface ConsumedChallenge {
  challenge: string;
  userId: string | null;
}

/**
 * Passkeys and their ceremony challenges. A challenge is stored only as its SHA-256 and consumed
 * by one DELETE … RETURNING that also checks what it is bound to and its expiry, so each is used
 * at most once, by the session or browser that asked for it.
 */
export class PasskeyStore {
  constructor(
    private readonly db: DB,
    private readonly random: Random,
  ) {}

  async saveChallenge(input: {
    challenge: string;
    purpose: PasskeyChallengePurpose;
    boundTo: string;
    userId: string | null;
    expiresAt: number;
    now: number;
  }): Promise<void> {
    // Challenges nobody finished are kept only until they could no longer be used anyway.
    await this.db.deleteFrom('passkey_challenges').where('expires_at', '<=', input.now).execute();
    await this.db
      .insertInto('passkey_challenges')
      .values({
        challenge_hash: sha256Base64URL(input.challenge),
        purpose: input.purpose,
        bound_to: input.boundTo,
        user_id: input.userId,
        expires_at: input.expiresAt,
      })
      .execute();
  }

  /** The challenge, if it is this purpose's, bound to `boundTo`, unexpired and unused; it is used now. */
  async consumeChallenge(input: {
    challenge: string;
    purpose: PasskeyChallengePurpose;
    boundTo: string;
    now: number;
  }): Promise<ConsumedChallenge | null> {
    const row = await this.db
      .deleteFrom('passkey_challenges')
      .where('challenge_hash', '=', sha256Base64URL(input.challenge))
      .where('purpose', '=', input.purpose)
      .where('bound_to', '=', input.boundTo)
      .where('expires_at', '>', input.now)
      .returning(['user_id'])
      .executeTakeFirst();
    return row ? { challenge: input.challenge, userId: row.user_id } : null;
  }

  /** Null when the credential id is already registered (to anyone). */
  async create(input: {
    userId: string;
    credentialId: string;
    publicKey: string;
    counter: number;
    transports: string[];
    name: string;
    now: number;
  }): Promise<Passkey | null> {
    const row: Row = {
      id: `pkey_${toHex(this.random.bytes(12))}`,
      user_id: input.userId,
      credential_id: input.credentialId,
      public_key: input.publicKey,
      counter: input.counter,
      transports: JSON.stringify(input.transports),
      name: input.name,
      created_at: input.now,
      last_used_at: null,
    };
    const inserted = await this.db
      .insertInto('passkeys')
      .values(row as never)
      .onConflict((oc) => oc.column('credential_id').doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted === undefined ? null : toPasskey(row);
  }

  async findByCredentialId(credentialId: string): Promise<Passkey | null> {
    const row = await this.db
      .selectFrom('passkeys')
      .selectAll()
      .where('credential_id', '=', credentialId)
      .executeTakeFirst();
    return row ? toPasskey(row) : null;
  }

  /** Whether the user holds any passkey (read in the caller's transaction). */
  async holdsAny(db: DB, userId: string): Promise<boolean> {
    const row = await db.selectFrom('passkeys').select('id').where('user_id', '=', userId).executeTakeFirst();
    return row !== undefined;
  }

  async listOf(userId: string): Promise<Passkey[]> {
    const rows = await this.db
      .selectFrom('passkeys')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toPasskey);
  }

  /**
   * Records a verified assertion: the stored counter moves to `counter` only if that is higher, or
   * both are zero (an authenticator without a counter, WebAuthn L3 §6.1.1). False when another
   * assertion already moved it as far: the caller refuses the sign-in.
   */
  async recordUse(trx: DB, id: string, counter: number, now: number): Promise<boolean> {
    const result = await trx
      .updateTable('passkeys')
      .set({ counter, last_used_at: now })
      .where('id', '=', id)
      .where('counter', counter === 0 ? '=' : '<', counter)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async rename(userId: string, id: string, name: string): Promise<Passkey | null> {
    const result = await this.db
      .updateTable('passkeys')
      .set({ name })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return null;
    const row = await this.db.selectFrom('passkeys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toPasskey(row) : null;
  }

  async remove(db: DB, userId: string, id: string): Promise<boolean> {
    const result = await db
      .deleteFrom('passkeys')
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** Every passkey of the user (the first proof of their address drops them). */
  async removeAllOf(trx: DB, userId: string): Promise<number> {
    const result = await trx.deleteFrom('passkeys').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
