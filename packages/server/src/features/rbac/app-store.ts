import type { Random } from '../../crypto/random.js';
import { generateAppToken, hashToken } from '../../crypto/tokens.js';
import { withCapabilityBump } from '../../storage/capability-versions.js';
import type { DB } from '../../storage/database.js';
import type { Dialect } from '../../storage/migrations/index.js';
import { prepareQuery } from '../../storage/prepared-query.js';
import type { AppStatus, AppsTable } from '../../storage/schema.js';

export type App = Omit<AppsTable, 'token_hash'>;

/** An app as minting sees it, with the subject's grant in it (null fields when there is none). */
export interface AppAccess {
  status: App['status'];
  currentVersion: number | null;
  archetype: string | null;
  capabilities: string[];
}

const COLUMNS = [
  'org_id',
  'id',
  'name',
  'owner',
  'description',
  'status',
  'current_version',
  'pending_version',
  'created_at',
  'token_rotated_at',
  'resource',
] as const;

function toApp(row: App): App {
  return {
    ...row,
    created_at: Number(row.created_at),
    token_rotated_at: Number(row.token_rotated_at),
    current_version: row.current_version === null ? null : Number(row.current_version),
    pending_version: row.pending_version === null ? null : Number(row.pending_version),
  };
}

/** Registered apps of an org. The app token (`pyat_…`) is shown once and stored as SHA-256. */
export class AppStore {
  /** `POST /token`'s one read: the app and the caller's grant in it, compiled once. */
  private readonly accessQuery;

  constructor(
    private readonly db: DB,
    private readonly dialect: Dialect,
    private readonly random: Random,
  ) {
    this.accessQuery = prepareQuery<
      {
        status: AppStatus;
        current_version: number | null;
        archetype: string | null;
        capabilities: string | null;
      },
      'orgId' | 'appId' | 'emailHash'
    >((value) =>
      db
        .selectFrom('apps')
        .leftJoin('grants', (join) =>
          join
            .onRef('grants.org_id', '=', 'apps.org_id')
            .onRef('grants.app_id', '=', 'apps.id')
            .on('grants.email_hash', '=', value('emailHash')),
        )
        .select(['apps.status', 'apps.current_version', 'grants.archetype', 'grants.capabilities'])
        .where('apps.org_id', '=', value('orgId'))
        .where('apps.id', '=', value('appId')),
    );
  }

  async create(
    trx: DB,
    input: {
      orgId: string;
      id: string;
      name: string;
      owner: string;
      description: string | null;
      resource?: string | null;
      now: number;
    },
  ): Promise<string> {
    const token = generateAppToken(this.random);
    await withCapabilityBump(trx, input.orgId, (db) =>
      db
        .insertInto('apps')
        .values({
          org_id: input.orgId,
          id: input.id,
          name: input.name,
          owner: input.owner,
          description: input.description,
          status: 'active',
          token_hash: hashToken(token),
          current_version: null,
          pending_version: null,
          created_at: input.now,
          token_rotated_at: input.now,
          resource: input.resource ?? null,
        })
        .execute(),
    );
    return token;
  }

  async find(orgId: string, appId: string, db: DB = this.db): Promise<App | null> {
    const row = await db
      .selectFrom('apps')
      .select(COLUMNS)
      .where('org_id', '=', orgId)
      .where('id', '=', appId)
      .executeTakeFirst();
    return row ? toApp(row) : null;
  }

  /** The app for a schema push: found by org, id and the hash of the presented token at once. */
  async findByToken(orgId: string, appId: string, token: string): Promise<App | null> {
    const row = await this.db
      .selectFrom('apps')
      .select(COLUMNS)
      .where('org_id', '=', orgId)
      .where('id', '=', appId)
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirst();
    return row ? toApp(row) : null;
  }

  /**
   * The `POST /token` hot path: the app and the subject's grant in it, in ONE indexed read (the
   * grant is left-joined on the grants primary key), so minting never pays a second round trip.
   * It reads the `grants` table beside `apps` deliberately; GrantStore owns every write to it.
   */
  async accessFor(orgId: string, appId: string, emailHash: string): Promise<AppAccess | null> {
    const row = (await this.accessQuery.run(this.db, { orgId, appId, emailHash }))[0];
    if (!row) return null;
    return {
      status: row.status,
      currentVersion: row.current_version === null ? null : Number(row.current_version),
      archetype: row.archetype,
      capabilities: JSON.parse(row.capabilities ?? '[]') as string[],
    };
  }

  /** Read the app inside a transaction, locking its row on PostgreSQL (version pointers change under it). */
  async lock(trx: DB, orgId: string, appId: string): Promise<App | null> {
    let query = trx.selectFrom('apps').select(COLUMNS).where('org_id', '=', orgId).where('id', '=', appId);
    if (this.dialect === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row ? toApp(row) : null;
  }

  /** The app that answers for an RFC 8707 resource URL in an org (unique per org). */
  async findByResource(orgId: string, resource: string): Promise<App | null> {
    const row = await this.db
      .selectFrom('apps')
      .select(COLUMNS)
      .where('org_id', '=', orgId)
      .where('resource', '=', resource)
      .executeTakeFirst();
    return row ? toApp(row) : null;
  }

  /** Set or clear the resource URL (unique per org: a taken one fails the unique index), or the description. */
  async setDetails(
    trx: DB,
    orgId: string,
    appId: string,
    details: { resource?: string | null; description?: string },
  ): Promise<void> {
    if (details.resource === undefined && details.description === undefined) return;
    await trx
      .updateTable('apps')
      .set({
        ...(details.resource === undefined ? {} : { resource: details.resource }),
        ...(details.description === undefined ? {} : { description: details.description }),
      })
      .where('org_id', '=', orgId)
      .where('id', '=', appId)
      .execute();
  }

  async list(orgId: string): Promise<App[]> {
    const rows = await this.db
      .selectFrom('apps')
      .select(COLUMNS)
      .where('org_id', '=', orgId)
      .orderBy('created_at', 'asc')
      .execute();
    return rows.map(toApp);
  }

  /** Disable an active app; false when it was already disabled (or does not exist): nothing changed. */
  async disable(trx: DB, orgId: string, appId: string): Promise<boolean> {
    const result = await withCapabilityBump(trx, orgId, (db) =>
      db
        .updateTable('apps')
        .set({ status: 'disabled' })
        .where('org_id', '=', orgId)
        .where('id', '=', appId)
        .where('status', '=', 'active')
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) === 1;
  }

  /** A new token; the old one stops matching at once on every process (only the new hash is stored). */
  async rotateToken(trx: DB, orgId: string, appId: string, now: number): Promise<string | null> {
    const token = generateAppToken(this.random);
    const result = await trx
      .updateTable('apps')
      .set({ token_hash: hashToken(token), token_rotated_at: now })
      .where('org_id', '=', orgId)
      .where('id', '=', appId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1 ? token : null;
  }

  /**
   * Re-registration of a disabled app: a new token and active again, in one statement that only
   * matches a disabled row (an active app keeps its token; two racing calls cannot both win).
   */
  async reenable(trx: DB, orgId: string, appId: string, now: number): Promise<string | null> {
    const token = generateAppToken(this.random);
    const result = await withCapabilityBump(trx, orgId, (db) =>
      db
        .updateTable('apps')
        .set({ token_hash: hashToken(token), token_rotated_at: now, status: 'active' })
        .where('org_id', '=', orgId)
        .where('id', '=', appId)
        .where('status', '=', 'disabled')
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) === 1 ? token : null;
  }

  async setVersions(
    trx: DB,
    orgId: string,
    appId: string,
    versions: { current: number | null; pending: number | null },
  ): Promise<void> {
    await withCapabilityBump(trx, orgId, (db) =>
      db
        .updateTable('apps')
        .set({ current_version: versions.current, pending_version: versions.pending })
        .where('org_id', '=', orgId)
        .where('id', '=', appId)
        .execute(),
    );
  }
}
