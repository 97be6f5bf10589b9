import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * The outcome page of a hosted form, kept for the one GET its redirect makes (post/redirect/get,
 * pages/shown-once.ts): sealed, since it may show a one-time secret, bound to the session that
 * posted, and gone once shown or after five minutes.
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await db.schema
    .createTable('shown_once')
    .addColumn('id_hash', 'text', (col) => col.primaryKey())
    .addColumn('session_id', 'text', (col) => col.notNull())
    .addColumn('content_sealed', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('shown_once_expires').on('shown_once').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('shown_once').execute();
}
