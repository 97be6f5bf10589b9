import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * The address a device authorisation was asked from: the approval page shows it beside the
 * approver's own, since a code someone else started (device-code phishing) comes from elsewhere.
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await db.schema.alterTable('device_authorizations').addColumn('requested_ip', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('device_authorizations').dropColumn('requested_ip').execute();
}
