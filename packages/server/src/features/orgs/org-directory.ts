import type { Clock } from '../../clock.js';
import type { DB } from '../../storage/database.js';

export interface OrgSummary {
  id: string;
  name: string;
}

/**
 * Looks orgs up by id for the RBAC surface. Answers are cached for a few seconds so a request
 * under `/o/{orgId}/` (including the `POST /token` hot path) does not pay a read for the org.
 */
export class OrgDirectory {
  private readonly cache = new Map<string, { org: OrgSummary | null; at: number }>();

  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
    private readonly ttlMs = 5_000,
    private readonly maxEntries = 10_000,
  ) {}

  async find(id: string): Promise<OrgSummary | null> {
    const now = this.clock.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < this.ttlMs) return hit.org;
    const org =
      (await this.db.selectFrom('orgs').select(['id', 'name']).where('id', '=', id).executeTakeFirst()) ??
      null;
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(id, { org, at: now });
    return org;
  }

  forget(id: string): void {
    this.cache.delete(id);
  }

  /** Create the deployment's default org on first start (idempotent across processes). */
  async ensureDefault(id: string, name: string): Promise<void> {
    await this.db
      .insertInto('orgs')
      .values({ id, name, created_at: this.clock.now() })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    this.forget(id);
  }
}

/** An org's RBAC base URL (its `api_url`): `{PYLON_PUBLIC_URL}/o/{orgId}`. */
export function orgAPIURL(publicURL: string, orgId: string): string {
  return `${publicURL}/o/${orgId}`;
}
