import { fromBase64URL, type Random, toBase64URL } from '../../crypto/random.js';
import type { Sealer } from '../../crypto/seal.js';
import { hashToken } from '../../crypto/tokens.js';
import { hmacSha256Hex } from '../../platform/node-crypto.js';
import type { DB } from '../../storage/database.js';
import { prepareQuery } from '../../storage/prepared-query.js';
import type { SessionKind } from '../../storage/schema.js';
import { matchTOTP } from './totp.js';

const MAX_CHALLENGE_ATTEMPTS = 5;
const CHALLENGE_TTL_MS = 5 * 60_000;
const BACKUP_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ23456789';

const sealedAt = (userId: string) => ({ table: 'totp_factors', column: 'secret_sealed', row: userId });

/**
 * A second factor as typed, read for what it is: six digits are a TOTP code; eight letters and
 * digits a backup code, whatever the case and wherever spaces or dashes were typed (`b4zd45gh`,
 * `B4ZD 45GH`), in its stored form `XXXX-XXXX`; anything else neither (null).
 */
export function secondFactorCode(typed: string): { kind: 'totp' | 'backup_code'; value: string } | null {
  const bare = typed.replace(/[\s-]+/g, '').toUpperCase();
  if (/^\d{6}$/.test(bare)) return { kind: 'totp', value: bare };
  if (/^[A-Z0-9]{8}$/.test(bare))
    return { kind: 'backup_code', value: `${bare.slice(0, 4)}-${bare.slice(4)}` };
  return null;
}

export interface Challenge {
  userId: string;
  method: string;
  kind: SessionKind;
}

/**
 * TOTP factors, backup codes and pending second-factor challenges. Every single-use rule is one
 * conditional statement: a TOTP step is accepted only if newer than the last one accepted, a
 * backup code only while unused, a challenge attempt only while under five.
 */
export class MFAStore {
  /** Read by every sign-in (is a second factor due?), prepared once. */
  private readonly factorQuery;

  constructor(
    private readonly db: DB,
    private readonly random: Random,
    private readonly sealer: Sealer,
    private readonly pepper: Uint8Array,
  ) {
    this.factorQuery = prepareQuery<{ enabled_at: number | string | null }, 'userId'>((value) =>
      db.selectFrom('totp_factors').select('enabled_at').where('user_id', '=', value('userId')),
    );
  }

  /** A new 20-byte seed waiting for its first code; false when TOTP is already enabled. */
  async enrol(userId: string, now: number): Promise<Uint8Array | null> {
    const secret = this.random.bytes(20);
    const sealed = this.sealer.seal(toBase64URL(secret), sealedAt(userId));
    const result = await this.db
      .insertInto('totp_factors')
      .values({ user_id: userId, secret_sealed: sealed, enabled_at: null, created_at: now })
      .onConflict((oc) =>
        oc
          .column('user_id')
          .doUpdateSet({ secret_sealed: sealed, created_at: now, last_step: 0 })
          .where('totp_factors.enabled_at', 'is', null),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1 ? secret : null;
  }

  /** The seed of a factor still waiting for its first code; null when there is none or it is on. */
  async pendingSecret(userId: string): Promise<Uint8Array | null> {
    const row = await this.db
      .selectFrom('totp_factors')
      .select('secret_sealed')
      .where('user_id', '=', userId)
      .where('enabled_at', 'is', null)
      .executeTakeFirst();
    return row ? fromBase64URL(this.sealer.open(row.secret_sealed, sealedAt(userId))) : null;
  }

  async factor(userId: string, db: DB = this.db): Promise<{ enabled: boolean } | null> {
    const [row] = await this.factorQuery.run(db, { userId });
    return row ? { enabled: row.enabled_at !== null } : null;
  }

  async isEnabled(userId: string, db: DB = this.db): Promise<boolean> {
    return (await this.factor(userId, db))?.enabled === true;
  }

  /** Accept a TOTP code once: its step must match and be newer than any step accepted before. */
  async acceptTOTP(userId: string, code: string, now: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('totp_factors')
      .select('secret_sealed')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) return false;
    const secret = fromBase64URL(this.sealer.open(row.secret_sealed, sealedAt(userId)));
    const step = matchTOTP(secret, code, now);
    if (step === null) return false;
    const result = await this.db
      .updateTable('totp_factors')
      .set({ last_step: step })
      .where('user_id', '=', userId)
      .where('last_step', '<', step)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** A backup code, however typed (`secondFactorCode`), spent by the same statement that checks it. */
  async useBackupCode(userId: string, typed: string, now: number): Promise<boolean> {
    const code = secondFactorCode(typed);
    if (code?.kind !== 'backup_code') return false;
    const result = await this.db
      .updateTable('backup_codes')
      .set({ used_at: now })
      .where('code_hash', '=', this.backupHash(userId, code.value))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** A TOTP code or a backup code, told apart as `secondFactorCode` reads them. */
  async acceptSecondFactor(userId: string, typed: string, now: number): Promise<boolean> {
    const code = secondFactorCode(typed);
    if (code === null) return false;
    return code.kind === 'totp'
      ? this.acceptTOTP(userId, code.value, now)
      : this.useBackupCode(userId, code.value, now);
  }

  async confirm(trx: DB, userId: string, now: number): Promise<void> {
    await trx.updateTable('totp_factors').set({ enabled_at: now }).where('user_id', '=', userId).execute();
  }

  /** Remove the factor and its backup codes; 1 when there was a factor. */
  async disable(trx: DB, userId: string): Promise<number> {
    await trx.deleteFrom('backup_codes').where('user_id', '=', userId).execute();
    const result = await trx.deleteFrom('totp_factors').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Ten fresh backup codes; the old ones stop working. Shown once, stored as keyed hashes. */
  async regenerateBackupCodes(trx: DB, userId: string, now: number): Promise<string[]> {
    const codes = Array.from({ length: 10 }, () => this.backupCode());
    await trx.deleteFrom('backup_codes').where('user_id', '=', userId).execute();
    await trx
      .insertInto('backup_codes')
      .values(
        codes.map((code) => ({
          code_hash: this.backupHash(userId, code),
          user_id: userId,
          created_at: now,
          used_at: null,
        })),
      )
      .execute();
    return codes;
  }

  async createChallenge(trx: DB, input: Challenge & { now: number }): Promise<string> {
    const token = `mfa_${toBase64URL(this.random.bytes(32))}`;
    await trx
      .insertInto('mfa_challenges')
      .values({
        token_hash: hashToken(token),
        user_id: input.userId,
        method: input.method,
        kind: input.kind,
        expires_at: input.now + CHALLENGE_TTL_MS,
      })
      .execute();
    return token;
  }

  /** Count one attempt at a challenge (at most five evaluated, however many race). */
  async claimChallengeAttempt(token: string, now: number): Promise<Challenge | null> {
    const row = await this.db
      .updateTable('mfa_challenges')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('token_hash', '=', hashToken(token))
      .where('attempts', '<', MAX_CHALLENGE_ATTEMPTS)
      .where('expires_at', '>', now)
      .returning(['user_id', 'method', 'kind'])
      .executeTakeFirst();
    return row ? { userId: row.user_id, method: row.method, kind: row.kind } : null;
  }

  /** The user of a live challenge whose attempts wrong codes used up, or null. */
  async spentChallengeUser(token: string, now: number): Promise<string | null> {
    const row = await this.db
      .selectFrom('mfa_challenges')
      .select('user_id')
      .where('token_hash', '=', hashToken(token))
      .where('attempts', '>=', MAX_CHALLENGE_ATTEMPTS)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row?.user_id ?? null;
  }

  /** Spend the challenge; false if another request already did. */
  async finishChallenge(trx: DB, token: string): Promise<boolean> {
    const result = await trx
      .deleteFrom('mfa_challenges')
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** Eight characters from 28 unambiguous ones (~38 bits); rejection sampling avoids modulo bias. */
  private backupCode(): string {
    const limit = 256 - (256 % BACKUP_ALPHABET.length);
    const chars: string[] = [];
    while (chars.length < 8) {
      for (const byte of this.random.bytes(8)) {
        if (byte < limit && chars.length < 8) chars.push(BACKUP_ALPHABET[byte % BACKUP_ALPHABET.length]!);
      }
    }
    return `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`;
  }

  private backupHash(userId: string, code: string): string {
    return hmacSha256Hex(this.pepper, `backup\n${userId}\n${code}`);
  }
}
