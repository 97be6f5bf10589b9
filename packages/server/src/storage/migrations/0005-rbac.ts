import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  // Apps are per org; the app token is stored only as its SHA-256. The version pointers say which
  // schema version serves tokens (current) and which waits for approval (pending, at most one).
  await db.schema
    .createTable('apps')
    .addColumn('org_id', 'text', (col) => col.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('owner', 'text', (col) => col.notNull())
    .addColumn('description', 'text')
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('current_version', 'integer')
    .addColumn('pending_version', 'integer')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('token_rotated_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('apps_pk', ['org_id', 'id'])
    .execute();

  // Every pushed version, immutable once written; `expanded` holds each archetype's capabilities
  // computed at push time, so minting never expands a schema.
  await db.schema
    .createTable('schema_versions')
    .addColumn('org_id', 'text', (col) => col.notNull())
    .addColumn('app_id', 'text', (col) => col.notNull())
    .addColumn('version', 'integer', (col) => col.notNull())
    .addColumn('version_tag', 'text', (col) => col.notNull())
    .addColumn('prepared', 'text', (col) => col.notNull())
    .addColumn('expanded', 'text', (col) => col.notNull())
    .addColumn('pushed_by', 'text', (col) => col.notNull())
    .addColumn('pushed_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('schema_versions_pk', ['org_id', 'app_id', 'version'])
    .addForeignKeyConstraint('schema_versions_app', ['org_id', 'app_id'], 'apps', ['org_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  // A grant: an email (by hash) holds an archetype in an app, plus optional extra capabilities.
  await db.schema
    .createTable('grants')
    .addColumn('org_id', 'text', (col) => col.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('app_id', 'text', (col) => col.notNull())
    .addColumn('email_hash', 'text', (col) => col.notNull())
    .addColumn('email', 'text')
    .addColumn('archetype', 'text', (col) => col.notNull())
    .addColumn('capabilities', 'text', (col) => col.notNull())
    .addColumn('granted_at', 'bigint', (col) => col.notNull())
    .addColumn('granted_by', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('grants_pk', ['org_id', 'app_id', 'email_hash'])
    .execute();

  await db.schema
    .createTable('bootstrap_claims')
    .addColumn('org_id', 'text', (col) => col.primaryKey())
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('claimed_at', 'bigint', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['bootstrap_claims', 'grants', 'schema_versions', 'apps']) {
    await db.schema.dropTable(table).execute();
  }
}
