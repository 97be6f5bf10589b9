import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  // One identity provider connection per org and protocol. OIDC rows use issuer_url, client_id,
  // the sealed client secret and the cached discovery document; SAML rows the idp_* columns.
  await db.schema
    .createTable('sso_connections')
    .addColumn('org_id', 'text', (col) => col.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('issuer_url', 'text')
    .addColumn('client_id', 'text')
    .addColumn('client_secret_sealed', 'text')
    .addColumn('discovery_json', 'text')
    .addColumn('idp_entity_id', 'text')
    .addColumn('idp_sso_url', 'text')
    .addColumn('idp_cert_pem', 'text')
    .addColumn('email_attribute', 'text')
    .addColumn('name_attribute', 'text')
    .addColumn('default_role', 'text', (col) => col.notNull())
    .addColumn('email_domains', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('sso_connections_pk', ['org_id', 'kind'])
    .execute();

  // One org per email domain across the deployment: the primary key settles two orgs claiming the
  // same domain at once (the second insert fails), on every process. Which of the org's
  // connections lists the domain is read from sso_connections.email_domains (OIDC wins).
  await db.schema
    .createTable('sso_domains')
    .addColumn('domain', 'text', (col) => col.primaryKey())
    .addColumn('org_id', 'text', (col) => col.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('sso_domains_org').on('sso_domains').column('org_id').execute();

  // Pending OIDC sign-ins, found by the hash of the state and consumed by one DELETE … RETURNING.
  await db.schema
    .createTable('sso_states')
    .addColumn('state_hash', 'text', (col) => col.primaryKey())
    .addColumn('org_id', 'text', (col) => col.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('code_verifier_sealed', 'text', (col) => col.notNull())
    .addColumn('nonce', 'text', (col) => col.notNull())
    .addColumn('callback', 'text', (col) => col.notNull())
    .addColumn('error_callback', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('sso_states').execute();
  await db.schema.dropTable('sso_domains').execute();
  await db.schema.dropTable('sso_connections').execute();
}
