import { EVERY_ORG, withCapabilityBump } from '../../storage/capability-versions.js';
import type { DB } from '../../storage/database.js';
import type { Dialect } from '../../storage/migrations/index.js';
import { prepareQuery } from '../../storage/prepared-query.js';
import type { OrgRole } from '../../storage/schema.js';

export interface Org {
  id: string;
  name: string;
  createdAt: number;
}

export interface Member {
  userId: string;
  email: string | null;
  displayName: string | null;
  role: OrgRole;
  joinedAt: number;
}

/**
 * Orgs and their members: the one store that reads and writes the `orgs` and `org_members`
 * tables. Membership changes that must keep an owner run inside a transaction that first locks
 * the org row (PostgreSQL `FOR UPDATE`; SQLite has a single writer anyway), so two owners
 * demoting each other at once cannot leave the org without one. The request path's cached
 * look-up (`OrgDirectory`, org-directory.ts) is a thin wrapper over `find` and `ensure`, not a
 * second reader of the tables. Other features' rows that follow an org (sessions' active org,
 * invites) are the caller's to change, through their own stores, in the same transaction.
 */
export class OrgStore {
  /** A member's role, compiled once: `/me` and every capability check read it. */
  private readonly roleQuery;

  constructor(
    private readonly db: DB,
    private readonly dialect: Dialect,
  ) {
    this.roleQuery = prepareQuery<{ role: OrgRole }, 'orgId' | 'userId'>((value) =>
      db
        .selectFrom('org_members')
        .select('role')
        .where('org_id', '=', value('orgId'))
        .where('user_id', '=', value('userId')),
    );
  }

  async lock(trx: DB, orgId: string): Promise<Org | null> {
    let query = trx.selectFrom('orgs').select(['id', 'name', 'created_at']).where('id', '=', orgId);
    if (this.dialect === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row ? { id: row.id, name: row.name, createdAt: Number(row.created_at) } : null;
  }

  /**
   * Hold the org's row against deletion only (PostgreSQL `FOR KEY SHARE`, what a foreign key's
   * check takes anyway): a deletion, which `lock`s the row first, waits for this transaction or
   * this one finds the org gone (null), while writers of other rows under the org pass.
   */
  async lockAgainstDeletion(trx: DB, orgId: string): Promise<boolean> {
    let query = trx.selectFrom('orgs').select('id').where('id', '=', orgId);
    if (this.dialect === 'postgres') query = query.forKeyShare();
    return (await query.executeTakeFirst()) !== undefined;
  }

  /** Insert a new org; a taken id surfaces as the database's unique violation. */
  async create(trx: DB, input: { id: string; name: string; now: number }): Promise<void> {
    await trx.insertInto('orgs').values({ id: input.id, name: input.name, created_at: input.now }).execute();
  }

  /** Create the org unless it exists (idempotent across processes racing at first start). */
  async ensure(input: { id: string; name: string; now: number }): Promise<void> {
    await this.db
      .insertInto('orgs')
      .values({ id: input.id, name: input.name, created_at: input.now })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async find(orgId: string): Promise<Org | null> {
    const row = await this.db
      .selectFrom('orgs')
      .select(['id', 'name', 'created_at'])
      .where('id', '=', orgId)
      .executeTakeFirst();
    return row ? { id: row.id, name: row.name, createdAt: Number(row.created_at) } : null;
  }

  async roleOf(orgId: string, userId: string, db: DB = this.db): Promise<OrgRole | null> {
    const row = (await this.roleQuery.run(db, { orgId, userId }))[0];
    return row?.role ?? null;
  }

  async listForUser(userId: string): Promise<Array<Org & { role: OrgRole }>> {
    const rows = await this.db
      .selectFrom('org_members')
      .innerJoin('orgs', 'orgs.id', 'org_members.org_id')
      .select(['orgs.id', 'orgs.name', 'orgs.created_at', 'org_members.role'])
      .where('org_members.user_id', '=', userId)
      .orderBy('orgs.created_at', 'asc')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      createdAt: Number(row.created_at),
      role: row.role,
    }));
  }

  async members(orgId: string): Promise<Member[]> {
    const rows = await this.db
      .selectFrom('org_members')
      .innerJoin('users', 'users.id', 'org_members.user_id')
      .select([
        'org_members.user_id',
        'users.email',
        'users.display_name',
        'org_members.role',
        'org_members.joined_at',
      ])
      .where('org_members.org_id', '=', orgId)
      .orderBy('org_members.joined_at', 'asc')
      .orderBy('org_members.user_id', 'asc')
      .execute();
    return rows.map((row) => ({
      userId: row.user_id,
      email: row.email,
      displayName: row.display_name,
      role: row.role,
      joinedAt: Number(row.joined_at),
    }));
  }

  /** Whether any member of the org holds one of these roles (one indexed read, stops at the first). */
  async hasMemberWithRole(orgId: string, roles: readonly OrgRole[]): Promise<boolean> {
    const row = await this.db
      .selectFrom('org_members')
      .select('user_id')
      .where('org_id', '=', orgId)
      .where('role', 'in', [...roles])
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async owners(trx: DB, orgId: string): Promise<number> {
    const row = await trx
      .selectFrom('org_members')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('org_id', '=', orgId)
      .where('role', '=', 'owner')
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /**
   * The orgs of which this user is the only owner: leaving them (or deleting the account) would
   * leave them ownerless. Run it in the transaction that removes the user, after `lock`ing each
   * org the user owns (ownedOrgs), so a concurrent demotion of the other owner waits for it.
   */
  async soleOwnerOf(userId: string, db: DB = this.db): Promise<string[]> {
    const rows = await db
      .selectFrom('org_members as mine')
      .select('mine.org_id')
      .where('mine.user_id', '=', userId)
      .where('mine.role', '=', 'owner')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('org_members as other')
              .select('other.user_id')
              .whereRef('other.org_id', '=', 'mine.org_id')
              .where('other.role', '=', 'owner')
              .where('other.user_id', '!=', userId),
          ),
        ),
      )
      .orderBy('mine.org_id', 'asc')
      .execute();
    return rows.map((row) => row.org_id);
  }

  /** Every membership of this user, in org id order (the order to lock the orgs in). */
  async membershipsOf(userId: string, db: DB = this.db): Promise<Array<{ orgId: string; role: OrgRole }>> {
    const rows = await db
      .selectFrom('org_members')
      .select(['org_id', 'role'])
      .where('user_id', '=', userId)
      .orderBy('org_id', 'asc')
      .execute();
    return rows.map((row) => ({ orgId: row.org_id, role: row.role }));
  }

  /** The orgs where this user is an owner, in id order (the order to lock them in). */
  async ownedOrgs(userId: string, db: DB = this.db): Promise<string[]> {
    const rows = await db
      .selectFrom('org_members')
      .select('org_id')
      .where('user_id', '=', userId)
      .where('role', '=', 'owner')
      .orderBy('org_id', 'asc')
      .execute();
    return rows.map((row) => row.org_id);
  }

  /** Remove every membership of a user (account deletion); the count removed. */
  async removeAllMemberships(trx: DB, userId: string): Promise<number> {
    const result = await withCapabilityBump(trx, EVERY_ORG, (db) =>
      db.deleteFrom('org_members').where('user_id', '=', userId).executeTakeFirst(),
    );
    return Number(result.numDeletedRows);
  }

  async addMember(trx: DB, orgId: string, userId: string, role: OrgRole, now: number): Promise<void> {
    await withCapabilityBump(trx, orgId, (db) =>
      db.insertInto('org_members').values({ org_id: orgId, user_id: userId, role, joined_at: now }).execute(),
    );
  }

  async setRole(trx: DB, orgId: string, userId: string, role: OrgRole): Promise<void> {
    await withCapabilityBump(trx, orgId, (db) =>
      db
        .updateTable('org_members')
        .set({ role })
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .execute(),
    );
  }

  /** Remove a membership (the caller clears the member's sessions' active org in the same transaction). */
  async removeMember(trx: DB, orgId: string, userId: string): Promise<void> {
    await withCapabilityBump(trx, orgId, (db) =>
      db.deleteFrom('org_members').where('org_id', '=', orgId).where('user_id', '=', userId).execute(),
    );
  }

  /** Delete an org with its memberships (the caller first drops its invites and clears sessions). */
  async delete(trx: DB, orgId: string): Promise<void> {
    await withCapabilityBump(trx, orgId, async (db) => {
      await db.deleteFrom('org_members').where('org_id', '=', orgId).execute();
      await db.deleteFrom('orgs').where('id', '=', orgId).execute();
    });
  }
}
