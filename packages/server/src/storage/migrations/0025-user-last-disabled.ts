import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * When the account was last disabled (ms), kept when it is enabled again: what it held that is not
 * stored here (OAuth access tokens, authorization codes) and was issued before then stays refused
 * after the enable, as its sessions, refresh tokens and API keys, deleted at the disable, do.
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await db.schema.alterTable('users').addColumn('last_disabled_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('last_disabled_at').execute();
}
