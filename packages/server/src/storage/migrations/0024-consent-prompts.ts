import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * Consent pages shown and not yet answered, by the SHA-256 of the form's browser-bound token, for
 * ten minutes. Answering deletes the row (one DELETE … RETURNING), so a form posted twice — a
 * double click, the back button, a replayed request — gets one code, not two.
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await db.schema
    .createTable('oauth_consent_prompts')
    .addColumn('state_hash', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('oauth_consent_prompts_expires')
    .on('oauth_consent_prompts')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oauth_consent_prompts').execute();
}
