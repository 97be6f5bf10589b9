import { compareCodeUnits, sortNames } from './compare.js';
import type { SchemaArchetypeView, SchemaGraph } from './types.js';

/**
 * One difference between two schema versions. Field rule: `name` always names a capability,
 * `archetype` always names an archetype; `caps` and `inherits` list the (sorted) names that moved.
 *
 *   type                     fields                 kind
 *   capability_removed       name                   destructive
 *   capability_added         name                   additive
 *   archetype_removed        archetype              destructive
 *   archetype_added          archetype              additive
 *   archetype_caps_removed   archetype, caps        destructive
 *   archetype_caps_added     archetype, caps        additive
 *   inherits_removed         archetype, inherits    destructive
 *   inherits_added           archetype, inherits    additive
 *   description_changed      name | archetype       additive (set, changed or removed)
 *
 * A rename is a removal plus an addition (as in pylon-cli). A removed or added archetype is reported
 * once, not also as capability or inherits changes; an archetype that stays and lists a removed
 * capability is also reported as `archetype_caps_removed`, because its grants shrink.
 */
export type SchemaChange =
  | { type: 'capability_removed' | 'capability_added'; name: string }
  | { type: 'archetype_removed' | 'archetype_added'; archetype: string }
  | { type: 'archetype_caps_removed' | 'archetype_caps_added'; archetype: string; caps: string[] }
  | { type: 'inherits_removed' | 'inherits_added'; archetype: string; inherits: string[] }
  | { type: 'description_changed'; name: string }
  | { type: 'description_changed'; archetype: string };

export type SchemaChangeType = SchemaChange['type'];

export interface SchemaDiff {
  /** `destructive` if any change is; such a version waits for approval (docs/API.md). */
  kind: 'additive' | 'destructive';
  changes: SchemaChange[];
}

// Also the order changes are listed in: destructive first, as those are what a reviewer must approve.
const CHANGE_TYPE_ORDER: readonly SchemaChangeType[] = [
  'capability_removed',
  'archetype_removed',
  'archetype_caps_removed',
  'inherits_removed',
  'capability_added',
  'archetype_added',
  'archetype_caps_added',
  'inherits_added',
  'description_changed',
];

const DESTRUCTIVE_TYPES: ReadonlySet<SchemaChangeType> = new Set([
  'capability_removed',
  'archetype_removed',
  'archetype_caps_removed',
  'inherits_removed',
]);

/**
 * Classifies moving from `current` to `next`. Pure and deterministic: changes are ordered by
 * CHANGE_TYPE_ORDER, then capability before archetype, then name. Both schemas must be in the same
 * form (both bare or both prepared for the same app), since names are compared as given.
 */
export function diffSchemas(current: SchemaGraph, next: SchemaGraph): SchemaDiff {
  const changes = [...diffCapabilities(current, next), ...diffArchetypes(current, next)];
  changes.sort(compareChanges);
  const destructive = changes.some((change) => DESTRUCTIVE_TYPES.has(change.type));
  return { kind: destructive ? 'destructive' : 'additive', changes };
}

export function isDestructiveChange(change: SchemaChange): boolean {
  return DESTRUCTIVE_TYPES.has(change.type);
}

function diffCapabilities(current: SchemaGraph, next: SchemaGraph): SchemaChange[] {
  const before = new Map(current.capabilities.map((capability) => [capability.name, capability]));
  const after = new Map(next.capabilities.map((capability) => [capability.name, capability]));
  const changes: SchemaChange[] = [];
  for (const [name, old] of before) {
    const now = after.get(name);
    if (now === undefined) changes.push({ type: 'capability_removed', name });
    else if (!sameDescription(old.description, now.description))
      changes.push({ type: 'description_changed', name });
  }
  for (const name of after.keys()) {
    if (!before.has(name)) changes.push({ type: 'capability_added', name });
  }
  return changes;
}

function diffArchetypes(current: SchemaGraph, next: SchemaGraph): SchemaChange[] {
  const before = new Map(current.archetypes.map((archetype) => [archetype.name, archetype]));
  const after = new Map(next.archetypes.map((archetype) => [archetype.name, archetype]));
  const changes: SchemaChange[] = [];
  for (const [archetype, old] of before) {
    const now = after.get(archetype);
    if (now === undefined) {
      changes.push({ type: 'archetype_removed', archetype });
      continue;
    }
    changes.push(...diffOneArchetype(old, now));
  }
  for (const archetype of after.keys()) {
    if (!before.has(archetype)) changes.push({ type: 'archetype_added', archetype });
  }
  return changes;
}

function diffOneArchetype(old: SchemaArchetypeView, now: SchemaArchetypeView): SchemaChange[] {
  const archetype = now.name;
  const changes: SchemaChange[] = [];
  const caps = compareSets(old.capabilities, now.capabilities);
  if (caps.removed.length > 0)
    changes.push({ type: 'archetype_caps_removed', archetype, caps: caps.removed });
  if (caps.added.length > 0) changes.push({ type: 'archetype_caps_added', archetype, caps: caps.added });
  const inherits = compareSets(old.inherits ?? [], now.inherits ?? []);
  if (inherits.removed.length > 0)
    changes.push({ type: 'inherits_removed', archetype, inherits: inherits.removed });
  if (inherits.added.length > 0)
    changes.push({ type: 'inherits_added', archetype, inherits: inherits.added });
  if (!sameDescription(old.description, now.description))
    changes.push({ type: 'description_changed', archetype });
  return changes;
}

// NFC, as in canonical JSON: a bare file in NFD and its prepared form must not differ.
function sameDescription(a: string | undefined, b: string | undefined): boolean {
  return a?.normalize('NFC') === b?.normalize('NFC');
}

function compareSets(
  before: readonly string[],
  after: readonly string[],
): { removed: string[]; added: string[] } {
  const beforeSet = new Set(before);
  const afterSet = new Set(after);
  return {
    removed: sortNames([...beforeSet].filter((name) => !afterSet.has(name))),
    added: sortNames([...afterSet].filter((name) => !beforeSet.has(name))),
  };
}

function compareChanges(a: SchemaChange, b: SchemaChange): number {
  const byType = CHANGE_TYPE_ORDER.indexOf(a.type) - CHANGE_TYPE_ORDER.indexOf(b.type);
  if (byType !== 0) return byType;
  const [subjectA, subjectB] = [subjectOf(a), subjectOf(b)];
  if (subjectA.isArchetype !== subjectB.isArchetype) return subjectA.isArchetype ? 1 : -1;
  return compareCodeUnits(subjectA.name, subjectB.name);
}

function subjectOf(change: SchemaChange): { isArchetype: boolean; name: string } {
  return 'archetype' in change
    ? { isArchetype: true, name: change.archetype }
    : { isArchetype: false, name: change.name };
}
