import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * One shape for every audit entry: who acted as a type and an id (the `actor` string stays, as the
 * pylon-cli contract prints it: the email where there is one), and the target's email and email
 * hash where they are known. Existing rows are classified from their `actor` string.
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  for (const column of ['actor_type', 'actor_id', 'target_email', 'target_hash']) {
    await db.schema.alterTable('audit_events').addColumn(column, 'text').execute();
  }
  await sql`
    update audit_events set
      actor_type = case
        when actor in ('admin', 'system', 'anonymous') then actor
        when actor like 'app:%' then 'app'
        else 'user'
      end,
      actor_id = case
        when actor like 'usr\\_%' escape '\\' or actor like 'guest\\_%' escape '\\' then actor
        when actor like 'app:%' then substr(actor, 5)
        else null
      end,
      target_email = case when target like '%@%' then target else null end
  `.execute(db);
  // "My events" (a person's own audit trail) is a range of one actor's entries in time order.
  await db.schema
    .createIndex('audit_events_actor_id_ts')
    .on('audit_events')
    .columns(['actor_id', 'ts', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_actor_id_ts').execute();
  for (const column of ['actor_type', 'actor_id', 'target_email', 'target_hash']) {
    await db.schema.alterTable('audit_events').dropColumn(column).execute();
  }
}
