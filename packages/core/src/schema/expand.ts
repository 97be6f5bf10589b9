import { sortNames } from './compare.js';
import { formatCycle, orderArchetypesByInherits } from './inherits-graph.js';
import { SchemaError } from './schema-error.js';
import type { SchemaGraph } from './types.js';

export type ExpandedArchetypes = ReadonlyMap<string, readonly string[]>;

// Keyed by the schema object: token minting expands on every request, and a schema version is an
// immutable value once loaded, so each is expanded once. Weak, so dropped versions are collected.
const expansions = new WeakMap<SchemaGraph, ExpandedArchetypes>();

/**
 * Every archetype's effective capabilities: its own plus, transitively, those of every archetype
 * it inherits; each a sorted, frozen array. Computed once per schema object — do not mutate a
 * schema after expanding it. Throws `invalid_schema` for a dangling `inherits` or a cycle, which
 * a validated schema never has.
 */
export function expandAllArchetypes(schema: SchemaGraph): ExpandedArchetypes {
  const cached = expansions.get(schema);
  if (cached !== undefined) return cached;

  const byName = new Map(schema.archetypes.map((archetype) => [archetype.name, archetype]));
  const ordering = orderArchetypesByInherits(schema.archetypes);
  if ('cycle' in ordering) {
    throw new SchemaError('invalid_schema', `inherits cycle: ${formatCycle(ordering.cycle)}`);
  }

  const expanded = new Map<string, readonly string[]>();
  // Parents precede children in `order`, so each parent's set is complete when a child reads it.
  for (const name of ordering.order) {
    const archetype = byName.get(name)!;
    const capabilities = new Set(archetype.capabilities);
    for (const parent of archetype.inherits ?? []) {
      const inherited = expanded.get(parent);
      if (inherited === undefined) {
        throw new SchemaError(
          'invalid_schema',
          `archetype ${JSON.stringify(name)} inherits undeclared archetype ${JSON.stringify(parent)}`,
        );
      }
      for (const capability of inherited) capabilities.add(capability);
    }
    expanded.set(name, Object.freeze(sortNames([...capabilities])));
  }
  expansions.set(schema, expanded);
  return expanded;
}

/** One archetype's effective capabilities, or undefined when the schema has no such archetype. */
export function expandArchetype(schema: SchemaGraph, archetypeName: string): readonly string[] | undefined {
  return expandAllArchetypes(schema).get(archetypeName);
}
