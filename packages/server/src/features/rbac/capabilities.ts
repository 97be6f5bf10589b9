import { hashEmail } from '@pylon/core';
import { type Awaitable, thenNow } from '../../awaitable.js';
import type { CapabilityReading, CapabilityVersions } from '../../storage/capability-versions.js';
import type { OrgRole } from '../../storage/schema.js';
import type { OrgStore } from '../orgs/org-store.js';
import { archetypeForRole } from '../orgs/policy.js';
import type { AppStore } from './app-store.js';
import { PYLON_APP_ID, PYLON_CAPABILITY_SET, PYLON_EXPANSION } from './builtin-schema.js';
import type { GrantStore } from './grant-store.js';
import type { SchemaStore } from './schema-store.js';

/**
 * `outsider`: the subject is no member of the org and holds no grant in the app, so nothing at
 * all. `ok` with empty `caps` is a member, or the holder of a grant whose archetype confers nothing
 * (grants name addresses, so a grant may be given to someone outside the org).
 */
export type CapabilityAnswer =
  | { kind: 'ok'; caps: readonly string[] }
  | { kind: 'outsider' }
  | { kind: 'unknown_app' }
  | { kind: 'disabled' };

export interface Subject {
  /**
   * The person's proven address. Answers are cached under the address itself, so a hit hashes
   * nothing; a miss hashes it (hashEmail) to find the grant.
   */
  email: string;
  /** Set for a signed-in person: their org membership counts in the `pylon` app. */
  userId: string | null;
  /**
   * The capability version this request already read (with the session), used in place of a read
   * when it is of the org asked about.
   */
  capabilityVersion?: CapabilityReading | null;
}

/** A member's standing in an org: their role and the pylon archetype their grant names. */
export interface OrgStanding {
  role: OrgRole | null;
  granted: readonly string[];
}

/** Answers kept per process; beyond this the oldest entry goes (a miss costs one recomputation). */
const CACHE_LIMIT = 50_000;

/**
 * What a person may do in an app of an org: the expansion of their grant's archetype under the
 * app's current schema version, plus the grant's extra capabilities that still exist there; for
 * the built-in `pylon` app, also what their org role implies. The one function behind both
 * `POST /token` and every RBAC route's capability check.
 *
 * Answers are cached per process, keyed by (org, app, person), with the org's capability version
 * (storage/capability-versions.ts) read once per call: every change that can alter an answer bumps
 * that version in its own transaction, so a change committed by any process is seen by the very
 * next call on every process. The version is read before the answer is computed, so an answer is
 * never stored under a version newer than the data it was computed from.
 */
export class CapabilityResolver {
  private readonly cache = new Map<string, { version: number; value: unknown }>();

  constructor(
    private readonly apps: AppStore,
    private readonly grants: GrantStore,
    private readonly schemas: SchemaStore,
    private readonly orgs: OrgStore,
    /** Without it nothing is cached: every call reads the grants afresh. */
    private readonly versions?: CapabilityVersions,
  ) {}

  resolve(orgId: string, appId: string, subject: Subject): Awaitable<CapabilityAnswer> {
    return this.cached(
      orgId,
      `caps\n${appId}\n${subject.email}\n${subject.userId ?? ''}`,
      () => (appId === PYLON_APP_ID ? this.pylon(orgId, subject) : this.app(orgId, appId, subject)),
      subject.capabilityVersion,
    );
  }

  /** The pylon archetypes a subject holds in an org (membership and grant), for `whoami`. */
  pylonArchetypes(orgId: string, subject: Subject): Awaitable<readonly string[]> {
    return this.cached(
      orgId,
      `held\n${subject.email}\n${subject.userId ?? ''}`,
      async () => Object.freeze((await this.pylonHoldings(orgId, subject)).archetypes),
      subject.capabilityVersion,
    );
  }

  /**
   * A person's role in an org and the pylon archetype granted to their address (`provenEmail`:
   * null when not counted, an unproven address), for `/me`'s standing: one version read when
   * cached. Keyed by the address itself, so a hit hashes nothing; a miss hashes it for the grant.
   */
  standing(
    orgId: string,
    userId: string,
    provenEmail: string | null,
    known?: CapabilityReading | null,
  ): Awaitable<OrgStanding> {
    return this.cached(
      orgId,
      `standing\n${userId}\n${provenEmail ?? ''}`,
      async () => {
        const role = await this.orgs.roleOf(orgId, userId);
        const grant =
          provenEmail === null ? null : await this.grants.find(orgId, PYLON_APP_ID, hashEmail(provenEmail));
        return Object.freeze({ role, granted: Object.freeze(grant ? [grant.archetype] : []) });
      },
      known,
    );
  }

  /**
   * The cached answer when it was stored under the org's current version, else `compute`'s. The
   * version is `known` when the request already read this org's (with its session: still before
   * anything of this request was computed), else one read. A hit under a known version is the
   * answer itself, no promise (awaitable.ts): the hot paths' usual case.
   */
  private cached<T>(
    orgId: string,
    key: string,
    compute: () => Promise<T>,
    known: CapabilityReading | null | undefined,
  ): Awaitable<T> {
    const versions = this.versions;
    if (versions === undefined) return compute();
    const full = `${orgId}\n${key}`;
    const version = known?.orgId === orgId ? known.version : versions.read(orgId);
    return thenNow(version, (current) => {
      const hit = this.cache.get(full);
      if (hit !== undefined && hit.version === current) return hit.value as T;
      return compute().then((value) => {
        if (hit === undefined && this.cache.size >= CACHE_LIMIT) {
          this.cache.delete(this.cache.keys().next().value!);
        }
        this.cache.set(full, { version: current, value });
        return value;
      });
    });
  }

  /**
   * Registered apps: one indexed read (the app with the subject's grant joined), then the schema.
   * Without a grant, the org role too (one more read, on this path only, cached like the rest:
   * membership changes bump the version).
   */
  private async app(orgId: string, appId: string, subject: Subject): Promise<CapabilityAnswer> {
    const access = await this.apps.accessFor(orgId, appId, hashEmail(subject.email));
    if (!access) return UNKNOWN_APP;
    if (access.status !== 'active') return DISABLED;
    if (access.archetype === null) return (await this.isMember(orgId, subject)) ? NOTHING : OUTSIDER;
    if (access.currentVersion === null) return NOTHING;
    const version = await this.schemas.load(orgId, appId, access.currentVersion);
    if (!version) return NOTHING;
    const extra = access.capabilities.filter((cap) => version.capabilities.has(cap));
    return ok(union(version.archetypes.get(access.archetype) ?? [], extra));
  }

  private async pylon(orgId: string, subject: Subject): Promise<CapabilityAnswer> {
    const held = await this.pylonHoldings(orgId, subject);
    // Every member holds an archetype here (their role's), as does every grantee.
    if (held.archetypes.length === 0) return OUTSIDER;
    return ok(union(...held.archetypes.map((name) => PYLON_EXPANSION.get(name) ?? []), held.extra));
  }

  private async isMember(orgId: string, subject: Subject): Promise<boolean> {
    return subject.userId !== null && (await this.orgs.roleOf(orgId, subject.userId)) !== null;
  }

  private async pylonHoldings(
    orgId: string,
    subject: Subject,
  ): Promise<{ archetypes: string[]; extra: string[] }> {
    const role = subject.userId === null ? null : await this.orgs.roleOf(orgId, subject.userId);
    const grant = await this.grants.find(orgId, PYLON_APP_ID, hashEmail(subject.email));
    return {
      archetypes: [...(role ? [archetypeForRole(role)] : []), ...(grant ? [grant.archetype] : [])],
      extra: (grant?.capabilities ?? []).filter((cap) => PYLON_CAPABILITY_SET.has(cap)),
    };
  }
}

const UNKNOWN_APP: CapabilityAnswer = Object.freeze({ kind: 'unknown_app' });
const DISABLED: CapabilityAnswer = Object.freeze({ kind: 'disabled' });
const OUTSIDER: CapabilityAnswer = Object.freeze({ kind: 'outsider' });
const NOTHING: CapabilityAnswer = ok([]);

/** Answers are shared by every request that hits the cache: frozen, so none can change another's. */
function ok(caps: string[]): CapabilityAnswer {
  return Object.freeze({ kind: 'ok', caps: Object.freeze(caps) });
}

function union(...lists: ReadonlyArray<readonly string[]>): string[] {
  return [...new Set(lists.flat())].sort();
}
