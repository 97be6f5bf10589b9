import type { Clock } from '../../clock.js';
import type { OrgLookup, OrgSummary } from '../../http/context.js';
import type { Storage } from '../../storage/database.js';
import { OrgStore } from './org-store.js';

/**
 * The request path's org look-up: a few seconds' cache in front of `OrgStore.find`, so a request
 * under `/o/{orgId}/` (including the `POST /token` hot path) does not pay a read for the org.
 * It owns no table: every read and write goes through the OrgStore it wraps.
 */
export class OrgDirectory implements OrgLookup {
  private readonly cache = new Map<string, { org: OrgSummary | null; at: number }>();
  readonly store: OrgStore;

  constructor(
    storage: Pick<Storage, 'db' | 'dialect'>,
    private readonly clock: Clock,
    private readonly ttlMs = 5_000,
    private readonly maxEntries = 10_000,
  ) {
    this.store = new OrgStore(storage.db, storage.dialect);
  }

  async find(id: string): Promise<OrgSummary | null> {
    const now = this.clock.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < this.ttlMs) return hit.org;
    const found = await this.store.find(id);
    const org = found === null ? null : { id: found.id, name: found.name };
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(id, { org, at: now });
    return org;
  }

  forget(id: string): void {
    this.cache.delete(id);
  }

  /** Create the deployment's default org on first start (idempotent across processes). */
  async ensureDefault(id: string, name: string): Promise<void> {
    await this.store.ensure({ id, name, now: this.clock.now() });
    this.forget(id);
  }
}
