import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * A person's own audit (`GET /api/auth/audit`) reads entries where they acted OR were the target,
 * by id or by email. An OR is served from indexes only when every branch has one (SQLite's OR
 * optimisation, PostgreSQL's BitmapOr); `actor_id` had one since 0009, the targets get theirs here.
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await db.schema
    .createIndex('audit_events_target_ts')
    .on('audit_events')
    .columns(['target', 'ts', 'id'])
    .execute();
  await db.schema
    .createIndex('audit_events_target_email_ts')
    .on('audit_events')
    .columns(['target_email', 'ts', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_target_email_ts').execute();
  await db.schema.dropIndex('audit_events_target_ts').execute();
}
