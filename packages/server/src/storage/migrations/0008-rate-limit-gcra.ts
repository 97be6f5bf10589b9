import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  // Rate limits as GCRA (the generic cell rate algorithm, ITU-T I.371): one row per subject holding
  // its theoretical arrival time in milliseconds, a double because the emission interval
  // (window / limit) is rarely a whole millisecond. `allowed` is the last decision, written by the
  // same upsert, because RETURNING only shows the new row. The fixed-window `rate_limits` table is
  // no longer written; it stays so processes of the previous version keep working during a rolling
  // upgrade, and a later migration drops it.
  await db.schema
    .createTable('rate_limit_gcra')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('tat', 'double precision', (col) => col.notNull())
    .addColumn('allowed', 'integer', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rate_limit_gcra').execute();
}
