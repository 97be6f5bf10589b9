import { type Awaitable, thenNow } from '../awaitable.js';
import type { DB } from './database.js';
import { prepareQuery } from './prepared-query.js';

/** The counter bumped by changes that reach every org at once (a user disabled or deleted). */
export const EVERY_ORG = '*';

/**
 * Run `change` and bump the org's capability version in the same transaction (the caller's, or
 * one opened here), so no process can see the change without the new version or the reverse.
 * Every store method that can alter what someone holds goes through this, once each.
 */
export async function withCapabilityBump<T>(
  db: DB,
  orgId: string,
  change: (trx: DB) => Promise<T>,
): Promise<T> {
  if (!db.isTransaction) return db.transaction().execute((trx) => withCapabilityBump(trx, orgId, change));
  const result = await change(db);
  await db
    .insertInto('capability_versions')
    .values({ org_id: orgId, version: 1 })
    .onConflict((oc) =>
      oc
        .column('org_id')
        .doUpdateSet((eb) => ({ version: eb(eb.ref('capability_versions.version'), '+', 1) })),
    )
    .execute();
  return result;
}

/**
 * An org's capability version as one statement of this request already read it (the session
 * look-up reads it with the session): a cached answer is checked against it instead of a new read.
 * It was read before any answer of this request was computed, which is all the cache needs.
 */
export interface CapabilityReading {
  orgId: string;
  version: number;
}

/**
 * The one read a cached capability answer costs: the sum of the org's counter and the
 * deployment's, compiled once (two primary-key probes in one statement). Both only grow, so the
 * sum changes with every bump of either and never returns to a value seen before.
 */
export class CapabilityVersions {
  private readonly readQuery;

  constructor(private readonly db: DB) {
    this.readQuery = prepareQuery<{ version: number | string | null }, 'orgId' | 'everyOrg'>((value) =>
      db
        .selectFrom('capability_versions')
        .select((eb) => eb.fn.sum<number | string | null>('version').as('version'))
        .where('org_id', 'in', [value('orgId'), value('everyOrg')]),
    );
  }

  /** The org's version: itself when the direct reader answers (awaitable.ts), else a promise. */
  read(orgId: string, db: DB = this.db): Awaitable<number> {
    return thenNow(this.readQuery.read(db, { orgId, everyOrg: EVERY_ORG }), (rows) =>
      Number(rows[0]?.version ?? 0),
    );
  }
}
