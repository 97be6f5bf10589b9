import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  // Passkeys (WebAuthn public key credentials). `credential_id` is the authenticator's id
  // (base64url, WebAuthn L3 §5.1 rawId), unique across the deployment: one credential is one
  // user's. `counter` is the signature counter last seen (§6.1.1), raised by one conditional
  // UPDATE so two racing assertions cannot both pass.
  await db.schema
    .createTable('passkeys')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('credential_id', 'text', (col) => col.notNull().unique())
    .addColumn('public_key', 'text', (col) => col.notNull())
    .addColumn('counter', 'bigint', (col) => col.notNull())
    .addColumn('transports', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('passkeys_user').on('passkeys').column('user_id').execute();

  // Challenges handed out by /passkeys/*/options (WebAuthn L3 §13.4.3: random, used once).
  // Found by the challenge's hash and consumed by one DELETE … RETURNING together with what it is
  // bound to: the session that asked (registration) or the browser's flow cookie (sign-in).
  await db.schema
    .createTable('passkey_challenges')
    .addColumn('challenge_hash', 'text', (col) => col.primaryKey())
    .addColumn('purpose', 'text', (col) => col.notNull())
    .addColumn('bound_to', 'text', (col) => col.notNull())
    .addColumn('user_id', 'text', (col) => col.references('users.id').onDelete('cascade'))
    .addColumn('expires_at', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('passkey_challenges_expiry')
    .on('passkey_challenges')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('passkey_challenges').execute();
  await db.schema.dropTable('passkeys').execute();
}
