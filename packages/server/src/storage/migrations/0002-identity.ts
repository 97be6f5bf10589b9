import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (col) => col.primaryKey())
    // Guests have no email; everyone else has exactly one, trimmed and lowercased.
    .addColumn('email', 'text', (col) => col.unique())
    .addColumn('email_verified_at', 'bigint')
    .addColumn('display_name', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('is_guest', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('disabled_at', 'bigint')
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    // The first characters of the token (`pylon_` + 4 hex = 16 bits), so a person can tell their
    // sessions apart; far too short to help guess the other 240 bits.
    .addColumn('token_prefix', 'text', (col) => col.notNull())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('active_org', 'text')
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('device', 'text')
    .addColumn('ip', 'text')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('last_seen_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

  // Magic sign-in codes, email verification codes and password reset codes share one table and
  // one consume/burn mechanism; only a keyed hash of the code is stored.
  await db.schema
    .createTable('one_time_codes')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('purpose', 'text', (col) => col.notNull())
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('code_hash', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('one_time_codes_lookup')
    .on('one_time_codes')
    .columns(['purpose', 'email', 'created_at'])
    .execute();

  // Long single-use tokens (password reset links) are found by their hash alone.
  await db.schema.createIndex('one_time_codes_hash').on('one_time_codes').column('code_hash').execute();

  // Failed-attempt lockouts with doubling back-off: failures counted in a window,
  // and the time until which the subject is locked.
  await db.schema
    .createTable('lockouts')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('failures', 'integer', (col) => col.notNull())
    .addColumn('window_start', 'bigint', (col) => col.notNull())
    .addColumn('locked_until', 'bigint', (col) => col.notNull())
    .execute();

  // Fixed-window counters shared by every process (the identity rate limits).
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('window_start', 'bigint', (col) => col.notNull())
    .addColumn('count', 'integer', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['lockouts', 'rate_limits', 'one_time_codes', 'sessions', 'users']) {
    await db.schema.dropTable(table).execute();
  }
}
