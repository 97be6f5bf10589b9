import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  // When the person last proved who they are (a sign-in, TOTP included). A session's created_at
  // will not do: POST /refresh replaces the row, and a refreshed session is no fresher a proof.
  // Null for sessions made before this migration: they count as not recently authenticated.
  await db.schema.alterTable('sessions').addColumn('authenticated_at', 'bigint').execute();

  // An email change waiting for its code (one per user; a new request replaces it). The code itself
  // lives in one_time_codes under the `email_change` purpose, keyed by the new address.
  await db.schema
    .createTable('pending_email_changes')
    .addColumn('user_id', 'text', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('new_email', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('pending_email_changes').execute();
  await db.schema.alterTable('sessions').dropColumn('authenticated_at').execute();
}
