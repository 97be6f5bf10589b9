import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * Refresh tokens past their expiry are deleted (RefreshStore.purgeExpired, on each new family);
 * the sweep reads by `expires_at`, which had no index, so it would scan the whole table.
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await db.schema
    .createIndex('oauth_refresh_tokens_expires')
    .on('oauth_refresh_tokens')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('oauth_refresh_tokens_expires').execute();
}
