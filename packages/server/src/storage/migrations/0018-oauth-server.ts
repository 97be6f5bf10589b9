import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  // The MCP server (RFC 8707 resource indicator) an app answers for: a token requested for this
  // URL carries it as `aud` and the app's capabilities. One app per resource in an org.
  await db.schema.alterTable('apps').addColumn('resource', 'text').execute();
  await db.schema
    .createIndex('apps_org_resource')
    .on('apps')
    .columns(['org_id', 'resource'])
    .unique()
    .execute();

  // OAuth clients registered ahead (by an org admin) or by RFC 7591 dynamic registration. Clients
  // that name themselves by a metadata document URL are not stored (fetched and cached instead).
  // A confidential client's secret is kept only as its SHA-256.
  await db.schema
    .createTable('oauth_clients')
    .addColumn('client_id', 'text', (col) => col.primaryKey())
    .addColumn('org_id', 'text', (col) => col.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('client_name', 'text', (col) => col.notNull())
    .addColumn('redirect_uris', 'text', (col) => col.notNull())
    .addColumn('secret_hash', 'text')
    .addColumn('origin', 'text', (col) => col.notNull())
    .addColumn('id_token_alg', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('oauth_clients_org').on('oauth_clients').column('org_id').execute();

  // What a person allowed a client to receive for a resource, remembered so the next
  // authorisation skips the page; revoking it revokes the refresh tokens issued under it.
  await db.schema
    .createTable('oauth_consents')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('org_id', 'text', (col) => col.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (col) => col.notNull())
    .addColumn('client_name', 'text', (col) => col.notNull())
    .addColumn('resource', 'text', (col) => col.notNull())
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addUniqueConstraint('oauth_consents_grant', ['org_id', 'user_id', 'client_id', 'resource'])
    .execute();
  await db.schema.createIndex('oauth_consents_user').on('oauth_consents').column('user_id').execute();

  // Authorisation codes (RFC 6749 §4.1), stored as SHA-256, single use, 60 s. A consumed code
  // keeps its row until it expires, so a replay is recognised and revokes the family it started
  // (RFC 6749 §4.1.2: tokens issued from a replayed code should be revoked).
  await db.schema
    .createTable('oauth_codes')
    .addColumn('code_hash', 'text', (col) => col.primaryKey())
    .addColumn('org_id', 'text', (col) => col.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (col) => col.notNull())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('consent_id', 'text')
    .addColumn('redirect_uri', 'text', (col) => col.notNull())
    .addColumn('resource', 'text')
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('code_challenge', 'text', (col) => col.notNull())
    .addColumn('nonce', 'text')
    .addColumn('auth_time', 'bigint', (col) => col.notNull())
    .addColumn('amr', 'text', (col) => col.notNull())
    .addColumn('family_id', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();

  // Refresh tokens, as SHA-256, rotated on every use. All the tokens descending from one code
  // share a family id; presenting a rotated-away token again revokes the whole family.
  await db.schema
    .createTable('oauth_refresh_tokens')
    .addColumn('token_hash', 'text', (col) => col.primaryKey())
    .addColumn('family_id', 'text', (col) => col.notNull())
    .addColumn('org_id', 'text', (col) => col.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (col) => col.notNull())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('consent_id', 'text')
    .addColumn('resource', 'text')
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('auth_time', 'bigint', (col) => col.notNull())
    .addColumn('amr', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .addColumn('rotated_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('oauth_refresh_tokens_family')
    .on('oauth_refresh_tokens')
    .column('family_id')
    .execute();
  await db.schema
    .createIndex('oauth_refresh_tokens_consent')
    .on('oauth_refresh_tokens')
    .column('consent_id')
    .execute();

  // The RSA key that signs id_tokens for relying parties that cannot verify EdDSA (RS256,
  // RFC 7518 §3.3). Sealed like the Ed25519 keys; access tokens never use it.
  await db.schema
    .createTable('id_token_keys')
    .addColumn('kid', 'text', (col) => col.primaryKey())
    .addColumn('alg', 'text', (col) => col.notNull())
    .addColumn('public_jwk', 'text', (col) => col.notNull())
    .addColumn('private_jwk_sealed', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('id_token_keys').execute();
  await db.schema.dropTable('oauth_refresh_tokens').execute();
  await db.schema.dropTable('oauth_codes').execute();
  await db.schema.dropTable('oauth_consents').execute();
  await db.schema.dropTable('oauth_clients').execute();
  await db.schema.dropIndex('apps_org_resource').execute();
  await db.schema.alterTable('apps').dropColumn('resource').execute();
}
