import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * One counter per org (and one for the whole deployment, org id `*`), bumped in the same
 * transaction as every change that can alter what anyone holds in that org: grants, schema
 * approvals, app status, memberships; user disable and account deletion bump the deployment's.
 * Each process caches capabilities keyed by (org, app, person) with the counters' sum and reads
 * the sum once per request (capability-versions.ts). Rows are never deleted, so a counter never
 * goes back to a value a cache may still hold.
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await db.schema
    .createTable('capability_versions')
    .addColumn('org_id', 'text', (col) => col.primaryKey())
    .addColumn('version', 'bigint', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('capability_versions').execute();
}
