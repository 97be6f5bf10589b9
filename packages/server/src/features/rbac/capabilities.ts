import type { OrgStore } from '../orgs/org-store.js';
import { archetypeForRole } from '../orgs/policy.js';
import type { AppStore } from './app-store.js';
import { PYLON_APP_ID, PYLON_CAPABILITY_SET, PYLON_EXPANSION } from './builtin-schema.js';
import type { GrantStore } from './grant-store.js';
import type { SchemaStore } from './schema-store.js';

export type CapabilityAnswer =
  | { kind: 'ok'; caps: string[] }
  | { kind: 'unknown_app' }
  | { kind: 'disabled' };

export interface Subject {
  emailHash: string;
  /** Set for a signed-in person: their org membership counts in the `pylon` app. */
  userId: string | null;
}

/**
 * What a person may do in an app of an org: the expansion of their grant's archetype under the
 * app's current schema version, plus the grant's extra capabilities that still exist there; for
 * the built-in `pylon` app, also what their org role implies. The one function behind both
 * `POST /token` and every RBAC route's capability check.
 */
export class CapabilityResolver {
  constructor(
    private readonly apps: AppStore,
    private readonly grants: GrantStore,
    private readonly schemas: SchemaStore,
    private readonly orgs: OrgStore,
  ) {}

  async resolve(orgId: string, appId: string, subject: Subject): Promise<CapabilityAnswer> {
    return appId === PYLON_APP_ID ? this.pylon(orgId, subject) : this.app(orgId, appId, subject);
  }

  /** Registered apps: one indexed read (the app with the subject's grant joined), then the cache. */
  private async app(orgId: string, appId: string, subject: Subject): Promise<CapabilityAnswer> {
    const access = await this.apps.accessFor(orgId, appId, subject.emailHash);
    if (!access) return { kind: 'unknown_app' };
    if (access.status !== 'active') return { kind: 'disabled' };
    if (access.archetype === null || access.currentVersion === null) return { kind: 'ok', caps: [] };
    const version = await this.schemas.load(orgId, appId, access.currentVersion);
    if (!version) return { kind: 'ok', caps: [] };
    const extra = access.capabilities.filter((cap) => version.capabilities.has(cap));
    return { kind: 'ok', caps: union(version.archetypes.get(access.archetype) ?? [], extra) };
  }

  private async pylon(orgId: string, subject: Subject): Promise<CapabilityAnswer> {
    const held = await this.pylonHoldings(orgId, subject);
    return {
      kind: 'ok',
      caps: union(...held.archetypes.map((name) => PYLON_EXPANSION.get(name) ?? []), held.extra),
    };
  }

  /** The pylon archetypes a subject holds in an org (membership and grant), for `whoami`. */
  async pylonArchetypes(orgId: string, subject: Subject): Promise<string[]> {
    return (await this.pylonHoldings(orgId, subject)).archetypes;
  }

  private async pylonHoldings(
    orgId: string,
    subject: Subject,
  ): Promise<{ archetypes: string[]; extra: string[] }> {
    const role = subject.userId === null ? null : await this.orgs.roleOf(orgId, subject.userId);
    const grant = await this.grants.find(orgId, PYLON_APP_ID, subject.emailHash);
    return {
      archetypes: [...(role ? [archetypeForRole(role)] : []), ...(grant ? [grant.archetype] : [])],
      extra: (grant?.capabilities ?? []).filter((cap) => PYLON_CAPABILITY_SET.has(cap)),
    };
  }
}

function union(...lists: ReadonlyArray<readonly string[]>): string[] {
  return [...new Set(lists.flat())].sort();
}
