import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * A person's refresh tokens are revoked together when their address is first proven or their
 * password reset (RefreshStore.revokeForUser); that reads by `user_id`, which had no index.
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await db.schema
    .createIndex('oauth_refresh_tokens_user')
    .on('oauth_refresh_tokens')
    .column('user_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('oauth_refresh_tokens_user').execute();
}
