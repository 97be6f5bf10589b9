import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  // A pending social flow started by a signed-in account to link the provider to itself: the
  // account it was started for, checked again at the callback. Null for a sign-in.
  await db.schema
    .alterTable('oauth_states')
    .addColumn('link_user_id', 'text', (col) => col.references('users.id').onDelete('cascade'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('oauth_states').dropColumn('link_user_id').execute();
}
