import { type Kysely, sql } from 'kysely';
import { type ChainedFields, chainHash, GENESIS_HASH } from '../../audit/chain.js';
import type { MigrationContext } from './index.js';

const BACKFILL_BATCH = 1000;

/**
 * Tamper-evident audit: every entry gets its place in its org's hash chain (`seq`) and its chain
 * hash; `audit_chain_heads` holds each org's head (the row every append locks) and the head of any
 * prefix retention pruned; `audit_checkpoints` the heads signed with the deployment key, and
 * `audit_checkpoint_keys` the public keys that signed them, kept after the key itself is rotated out.
 * Existing entries are chained in id order, the order they were written.
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await db.schema.alterTable('audit_events').addColumn('seq', 'bigint').execute();
  await db.schema.alterTable('audit_events').addColumn('hash', 'text').execute();
  await db.schema.alterTable('audit_events').addColumn('erased', 'text').execute();
  await db.schema
    .createTable('audit_chain_heads')
    .addColumn('org', 'text', (col) => col.primaryKey())
    .addColumn('seq', 'bigint', (col) => col.notNull())
    .addColumn('hash', 'text', (col) => col.notNull())
    .addColumn('pruned_seq', 'bigint', (col) => col.notNull())
    .addColumn('pruned_hash', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('org', 'text', (col) => col.notNull())
    .addColumn('seq', 'bigint', (col) => col.notNull())
    .addColumn('hash', 'text', (col) => col.notNull())
    .addColumn('kid', 'text', (col) => col.notNull())
    .addColumn('signature', 'text', (col) => col.notNull())
    .addColumn('at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('audit_checkpoints_pk', ['org', 'seq'])
    .execute();
  await db.schema
    .createTable('audit_checkpoint_keys')
    .addColumn('kid', 'text', (col) => col.primaryKey())
    .addColumn('public_jwk_sealed', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute();
  await backfill(db);
  // Verification walks an org's chain in order; the unique index also refuses a second entry at a place.
  await db.schema
    .createIndex('audit_events_org_seq')
    .on('audit_events')
    .columns(['org', 'seq'])
    .unique()
    .execute();
}

async function backfill(db: Kysely<unknown>): Promise<void> {
  const heads = new Map<string, { seq: number; hash: string }>();
  let after = 0;
  for (;;) {
    const { rows } = await sql<ChainedFields & { id: number | string }>`
      select id, org, ts, action, actor, actor_type, actor_id, target, target_email, target_hash, detail, ip, request_id
      from audit_events where id > ${after} order by id limit ${BACKFILL_BATCH}`.execute(db);
    for (const row of rows) {
      const head = heads.get(row.org) ?? { seq: 0, hash: GENESIS_HASH };
      const seq = head.seq + 1;
      const hash = chainHash(head.hash, { ...row, seq });
      await sql`update audit_events set seq = ${seq}, hash = ${hash} where id = ${row.id}`.execute(db);
      heads.set(row.org, { seq, hash });
    }
    if (rows.length < BACKFILL_BATCH) break;
    after = Number(rows.at(-1)!.id);
  }
  for (const [org, head] of heads) {
    await sql`
      insert into audit_chain_heads (org, seq, hash, pruned_seq, pruned_hash)
      values (${org}, ${head.seq}, ${head.hash}, 0, ${GENESIS_HASH})`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_org_seq').execute();
  await db.schema.dropTable('audit_checkpoint_keys').execute();
  await db.schema.dropTable('audit_checkpoints').execute();
  await db.schema.dropTable('audit_chain_heads').execute();
  for (const column of ['erased', 'hash', 'seq']) {
    await db.schema.alterTable('audit_events').dropColumn(column).execute();
  }
}
