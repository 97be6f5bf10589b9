import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  // RFC 8628 device authorisations: the device code (≥ 128 bits) is stored only as its hash; the
  // user code is short and typed by a person, so it is unique and attempt-limited instead.
  await db.schema
    .createTable('device_authorizations')
    .addColumn('device_code_hash', 'text', (col) => col.primaryKey())
    .addColumn('user_code', 'text', (col) => col.notNull().unique())
    .addColumn('client', 'text', (col) => col.notNull())
    .addColumn('org_id', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('user_id', 'text')
    .addColumn('interval_seconds', 'integer', (col) => col.notNull())
    .addColumn('last_poll_at', 'bigint')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('device_authorizations').execute();
}
