import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('orgs')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (col) => col.primaryKey())
    .addColumn('alg', 'text', (col) => col.notNull())
    .addColumn('public_jwk', 'text', (col) => col.notNull())
    .addColumn('private_jwk_sealed', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('activates_at', 'bigint', (col) => col.notNull())
    .execute();

  // Append-only: nothing in Pylon updates or deletes these rows.
  await db.schema
    .createTable('audit_events')
    .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (col) =>
      dialect === 'postgres' ? col.primaryKey() : col.primaryKey().autoIncrement(),
    )
    .addColumn('ts', 'bigint', (col) => col.notNull())
    .addColumn('org', 'text', (col) => col.notNull())
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('actor', 'text', (col) => col.notNull())
    .addColumn('target', 'text')
    .addColumn('detail', 'text')
    .addColumn('ip', 'text')
    .addColumn('request_id', 'text')
    .execute();
  // Keyset pagination runs on (ts, id) within one org, optionally narrowed by action or actor;
  // each filter combination has an index that serves it in order without a sort.
  await db.schema
    .createIndex('audit_events_org_ts')
    .on('audit_events')
    .columns(['org', 'ts', 'id'])
    .execute();
  await db.schema
    .createIndex('audit_events_org_action_ts')
    .on('audit_events')
    .columns(['org', 'action', 'ts', 'id'])
    .execute();
  await db.schema
    .createIndex('audit_events_org_actor_ts')
    .on('audit_events')
    .columns(['org', 'actor', 'ts', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_events').execute();
  await db.schema.dropTable('signing_keys').execute();
  await db.schema.dropTable('orgs').execute();
}
