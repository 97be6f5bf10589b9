import type { DB } from '../../storage/database.js';
import type { StoredSchema } from './schema-input.js';

export interface SchemaVersion {
  version: number;
  versionTag: string;
  /** The pushed schema; `_prepared` only when the pusher sent the CLI's marker. */
  prepared: StoredSchema;
  /** archetype → its capabilities, inherits resolved (computed once, at push). */
  expanded: Record<string, string[]>;
  pushedBy: string;
  pushedAt: number;
}

/** A version as minting needs it: parsed once and kept, since versions never change. */
export interface LoadedVersion {
  capabilities: ReadonlySet<string>;
  archetypes: ReadonlyMap<string, readonly string[]>;
}

const CACHE_LIMIT = 10_000;

/**
 * Schema versions of apps. Rows are immutable once written, so a version loaded for minting is
 * cached for good (bounded, least recently used out): the hot path never parses or expands.
 */
export class SchemaStore {
  private readonly loaded = new Map<string, LoadedVersion>();

  constructor(private readonly db: DB) {}

  async insert(trx: DB, orgId: string, appId: string, version: SchemaVersion): Promise<void> {
    await trx
      .insertInto('schema_versions')
      .values({
        org_id: orgId,
        app_id: appId,
        version: version.version,
        version_tag: version.versionTag,
        prepared: JSON.stringify(version.prepared),
        expanded: JSON.stringify(version.expanded),
        pushed_by: version.pushedBy,
        pushed_at: version.pushedAt,
      })
      .execute();
  }

  async nextVersion(trx: DB, orgId: string, appId: string): Promise<number> {
    const row = await trx
      .selectFrom('schema_versions')
      .select((eb) => eb.fn.max('version').as('max'))
      .where('org_id', '=', orgId)
      .where('app_id', '=', appId)
      .executeTakeFirst();
    return Number(row?.max ?? 0) + 1;
  }

  async get(orgId: string, appId: string, version: number, db: DB = this.db): Promise<SchemaVersion | null> {
    const row = await db
      .selectFrom('schema_versions')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('app_id', '=', appId)
      .where('version', '=', version)
      .executeTakeFirst();
    return row ? toVersion(row) : null;
  }

  async list(orgId: string, appId: string): Promise<SchemaVersion[]> {
    const rows = await this.db
      .selectFrom('schema_versions')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('app_id', '=', appId)
      .orderBy('version', 'asc')
      .execute();
    return rows.map(toVersion);
  }

  /** The version's capability set and expansion, from memory after the first load (read with `db`). */
  async load(orgId: string, appId: string, version: number, db: DB = this.db): Promise<LoadedVersion | null> {
    const key = `${orgId}\n${appId}\n${version}`;
    const hit = this.loaded.get(key);
    if (hit) {
      this.loaded.delete(key);
      this.loaded.set(key, hit);
      return hit;
    }
    const row = await this.get(orgId, appId, version, db);
    if (!row) return null;
    const loaded: LoadedVersion = {
      capabilities: new Set(row.prepared.capabilities.map((capability) => capability.name)),
      archetypes: new Map(Object.entries(row.expanded)),
    };
    if (this.loaded.size >= CACHE_LIMIT) this.loaded.delete(this.loaded.keys().next().value!);
    this.loaded.set(key, loaded);
    return loaded;
  }
}

function toVersion(row: {
  version: number;
  version_tag: string;
  prepared: string;
  expanded: string;
  pushed_by: string;
  pushed_at: number;
}): SchemaVersion {
  return {
    version: Number(row.version),
    versionTag: row.version_tag,
    prepared: JSON.parse(row.prepared) as StoredSchema,
    expanded: JSON.parse(row.expanded) as Record<string, string[]>,
    pushedBy: row.pushed_by,
    pushedAt: Number(row.pushed_at),
  };
}
