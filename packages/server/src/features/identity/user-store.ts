import { normalizeEmail } from '@pylon/core';
import { sql } from 'kysely';
import { type Random, toHex } from '../../crypto/random.js';
import { EVERY_ORG, withCapabilityBump } from '../../storage/capability-versions.js';
import type { DB } from '../../storage/database.js';
import { isUniqueViolation } from '../../storage/errors.js';
import { prepareQuery } from '../../storage/prepared-query.js';

export interface User {
  id: string;
  email: string | null;
  emailVerifiedAt: number | null;
  displayName: string | null;
  passwordHash: string | null;
  isGuest: boolean;
  createdAt: number;
  disabledAt: number | null;
  /** When it was last disabled (ms), kept on enable: what was issued before is never honoured again. */
  lastDisabledAt: number | null;
}

type Row = {
  id: string;
  email: string | null;
  email_verified_at: number | null;
  display_name: string | null;
  password_hash: string | null;
  is_guest: number;
  created_at: number;
  disabled_at: number | null;
  last_disabled_at: number | null;
};

function toUser(row: Row): User {
  return {
    id: row.id,
    email: row.email,
    emailVerifiedAt: row.email_verified_at === null ? null : Number(row.email_verified_at),
    displayName: row.display_name,
    passwordHash: row.password_hash,
    isGuest: Number(row.is_guest) === 1,
    createdAt: Number(row.created_at),
    disabledAt: row.disabled_at === null ? null : Number(row.disabled_at),
    lastDisabledAt: row.last_disabled_at === null ? null : Number(row.last_disabled_at),
  };
}

export class EmailTakenError extends Error {
  override readonly name = 'EmailTakenError';
}

/** Users, looked up by id or by their normalised email. */
export class UserStore {
  /** The look-ups every sign-in makes, prepared once. */
  private readonly byId;
  private readonly byEmail;

  constructor(
    private readonly db: DB,
    private readonly random: Random,
  ) {
    this.byId = prepareQuery<Row, 'id'>((value) =>
      db.selectFrom('users').selectAll().where('id', '=', value('id')),
    );
    this.byEmail = prepareQuery<Row, 'email'>((value) =>
      db.selectFrom('users').selectAll().where('email', '=', value('email')),
    );
  }

  newUserId(prefix = 'usr_'): string {
    return `${prefix}${toHex(this.random.bytes(12))}`;
  }

  async findById(id: string, db: DB = this.db): Promise<User | null> {
    const [row] = await this.byId.run(db, { id });
    return row ? toUser(row) : null;
  }

  async findByEmail(email: string, db: DB = this.db): Promise<User | null> {
    const [row] = await this.byEmail.run(db, { email: normalizeEmail(email) });
    return row ? toUser(row) : null;
  }

  /** The local account an outside identity (provider or issuer, subject) was linked to, if any. */
  async findLinkedUser(provider: string, subject: string, db: DB = this.db): Promise<string | null> {
    const row = await db
      .selectFrom('identities')
      .select('user_id')
      .where('provider', '=', provider)
      .where('subject', '=', subject)
      .executeTakeFirst();
    return row?.user_id ?? null;
  }

  /** Link an outside identity to a local account; a second link of the same (provider, subject) is a unique violation. */
  async linkIdentity(
    db: DB,
    link: { provider: string; subject: string; userId: string; email: string | null; now: number },
  ): Promise<void> {
    await db
      .insertInto('identities')
      .values({
        provider: link.provider,
        subject: link.subject,
        user_id: link.userId,
        email: link.email,
        created_at: link.now,
      })
      .execute();
  }

  /** The outside identities linked to an account, oldest first. */
  async listIdentities(
    userId: string,
    db: DB = this.db,
  ): Promise<Array<{ provider: string; subject: string; email: string | null; createdAt: number }>> {
    const rows = await db
      .selectFrom('identities')
      .select(['provider', 'subject', 'email', 'created_at'])
      .where('user_id', '=', userId)
      .orderBy('created_at', 'asc')
      .orderBy('provider', 'asc')
      .orderBy('subject', 'asc')
      .execute();
    return rows.map((row) => ({
      provider: row.provider,
      subject: row.subject,
      email: row.email,
      createdAt: Number(row.created_at),
    }));
  }

  /**
   * Hold the account's row until the transaction ends (a no-op UPDATE: a row lock on PostgreSQL,
   * the single writer on SQLite), so checks over several of its rows cannot interleave; false when
   * there is no such user. A transaction that changes a user and their sessions takes it first, so
   * all of them lock in one order (the user, then the sessions): disabling a user and deleting the
   * account, run at once, then wait for each other instead of deadlocking.
   */
  async lock(trx: DB, userId: string): Promise<boolean> {
    const result = await trx
      .updateTable('users')
      .set((eb) => ({ id: eb.ref('id') }))
      .where('id', '=', userId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Remove one of the account's linked identities; false when it is not linked to this account. */
  async unlinkIdentity(db: DB, userId: string, provider: string, subject: string): Promise<boolean> {
    const result = await db
      .deleteFrom('identities')
      .where('user_id', '=', userId)
      .where('provider', '=', provider)
      .where('subject', '=', subject)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /**
   * Remove every outside identity linked to the account; the count removed. The first proof of
   * an address drops them as it drops a password (email-proof.ts): a link made while the address
   * was unproven may be a squatter's way back in.
   */
  async unlinkAllIdentities(db: DB, userId: string): Promise<number> {
    const result = await db.deleteFrom('identities').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * Switch the account to a proven new address (verified now). Another account taking the address
   * first surfaces as EmailTakenError: the unique index decides the race, not a prior read.
   */
  async changeEmail(db: DB, userId: string, email: string, now: number): Promise<boolean> {
    try {
      const result = await db
        .updateTable('users')
        .set({ email: normalizeEmail(email), email_verified_at: now })
        .where('id', '=', userId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    } catch (error) {
      if (isUniqueViolation(error)) throw new EmailTakenError('email taken');
      throw error;
    }
  }

  /**
   * Delete an account and, with it, its linked identities (and, by the foreign keys, anything else
   * that follows the user row). The caller has removed sessions, credentials and memberships first.
   */
  async delete(db: DB, userId: string): Promise<boolean> {
    const result = await withCapabilityBump(db, EVERY_ORG, async (trx) => {
      await trx.deleteFrom('identities').where('user_id', '=', userId).execute();
      return trx.deleteFrom('users').where('id', '=', userId).executeTakeFirst();
    });
    return Number(result.numDeletedRows) === 1;
  }

  /** Insert a user; a concurrent insert of the same email surfaces as EmailTakenError. */
  async create(
    db: DB,
    now: number,
    input: {
      email: string | null;
      passwordHash?: string | null;
      displayName?: string | null;
      verified?: boolean;
      guest?: boolean;
      id?: string;
    },
  ): Promise<User> {
    const row: Row = {
      id: input.id ?? this.newUserId(input.guest ? 'guest_' : 'usr_'),
      email: input.email === null ? null : normalizeEmail(input.email),
      email_verified_at: input.verified ? now : null,
      display_name: input.displayName ?? null,
      password_hash: input.passwordHash ?? null,
      is_guest: input.guest ? 1 : 0,
      created_at: now,
      disabled_at: null,
      last_disabled_at: null,
    };
    try {
      await db.insertInto('users').values(row).execute();
    } catch (error) {
      // Decided from the error itself: on PostgreSQL the failed insert has aborted the
      // transaction, so a follow-up query to check would fail too.
      if (row.email !== null && isUniqueViolation(error)) throw new EmailTakenError('email taken');
      throw error;
    }
    return toUser(row);
  }

  /**
   * Delete a guest folded into an account (guest-merge.ts moved what goes on with the person first);
   * its sessions go with it (FK cascade). False when it is no guest, or gone.
   */
  async mergeGuest(db: DB, guestId: string): Promise<boolean> {
    const result = await db
      .deleteFrom('users')
      .where('id', '=', guestId)
      .where('is_guest', '=', 1)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** Turn a guest into a real user with this email, keeping its id; false when it is not a guest. */
  async upgradeGuest(db: DB, guestId: string, email: string): Promise<boolean> {
    try {
      const result = await db
        .updateTable('users')
        .set({ email: normalizeEmail(email), is_guest: 0 })
        .where('id', '=', guestId)
        .where('is_guest', '=', 1)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    } catch (error) {
      if (isUniqueViolation(error)) throw new EmailTakenError('email taken');
      throw error;
    }
  }

  /**
   * Disable a user (`disabledAt` a time, also kept as `last_disabled_at`) or re-enable them (null:
   * `last_disabled_at` stays, so what was issued before the disable stays refused); false when
   * there is no such user.
   */
  async setDisabled(db: DB, userId: string, disabledAt: number | null): Promise<boolean> {
    const result = await withCapabilityBump(db, EVERY_ORG, (trx) =>
      trx
        .updateTable('users')
        .set(
          disabledAt === null
            ? { disabled_at: null }
            : { disabled_at: disabledAt, last_disabled_at: disabledAt },
        )
        .where('id', '=', userId)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) === 1;
  }

  /** Mark the address verified; true only for the call that proved it first (one atomic UPDATE). */
  async markEmailVerified(db: DB, userId: string, now: number): Promise<boolean> {
    const result = await db
      .updateTable('users')
      .set({ email_verified_at: now })
      .where('id', '=', userId)
      .where('email_verified_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Remove the password; the count of accounts that had one (0 or 1). */
  async clearPassword(db: DB, userId: string): Promise<number> {
    const result = await db
      .updateTable('users')
      .set({ password_hash: null })
      .where('id', '=', userId)
      .where('password_hash', 'is not', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async setPasswordHash(db: DB, userId: string, passwordHash: string): Promise<void> {
    await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
  }

  /**
   * A page of real users (guests excluded), oldest first, by keyset on (created_at, id) so pages
   * neither skip nor repeat while users sign up. `emailContains` matches a substring of the email
   * literally: LIKE's `%`, `_` and the escape character are escaped (`!` works the same on SQLite
   * and PostgreSQL, unlike a backslash).
   */
  async list(query: {
    emailContains?: string;
    limit: number;
    after?: { createdAt: number; id: string };
  }): Promise<User[]> {
    let select = this.db.selectFrom('users').selectAll().where('is_guest', '=', 0);
    if (query.emailContains !== undefined && query.emailContains !== '') {
      const pattern = `%${query.emailContains.toLowerCase().replace(/[!%_]/g, (ch) => `!${ch}`)}%`;
      select = select.where(sql<boolean>`lower(${sql.ref('email')}) like ${pattern} escape '!'`);
    }
    const after = query.after;
    if (after !== undefined) {
      select = select.where((eb) =>
        eb.or([
          eb('created_at', '>', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)]),
        ]),
      );
    }
    const rows = await select.orderBy('created_at', 'asc').orderBy('id', 'asc').limit(query.limit).execute();
    return rows.map((row) => toUser(row as Row));
  }
}
