import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  // SAML sign-ins a browser started (SAML profiles §4.1.4.3: the response must answer this
  // request). Found by the hash of the RelayState, whose preimage only that browser's flow cookie
  // holds, and consumed by one DELETE … RETURNING, so a request is answered at most once.
  await db.schema
    .createTable('saml_requests')
    .addColumn('relay_state_hash', 'text', (col) => col.primaryKey())
    .addColumn('org_id', 'text', (col) => col.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('request_id', 'text', (col) => col.notNull())
    .addColumn('callback', 'text', (col) => col.notNull())
    .addColumn('error_callback', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute();

  // Assertion IDs already used (SAML profiles §4.1.4.5: a bearer assertion is used once), kept
  // until the assertion could no longer be accepted anyway. The primary key makes the second use
  // fail on every process. Scoped by org, so one org's IdP cannot burn another IdP's IDs.
  await db.schema
    .createTable('saml_assertions')
    .addColumn('org_id', 'text', (col) => col.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('assertion_id', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('saml_assertions_pk', ['org_id', 'assertion_id'])
    .execute();
  await db.schema.createIndex('saml_assertions_expiry').on('saml_assertions').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('saml_assertions').execute();
  await db.schema.dropTable('saml_requests').execute();
}
