import { sortByName, sortNames } from './compare.js';
import type { SchemaArchetypeView } from './types.js';

export type InheritsOrder = { readonly order: readonly string[] } | { readonly cycle: readonly string[] };

/**
 * Orders archetypes so each comes after every archetype it inherits, or returns the first cycle
 * found as a closed path (`['a', 'b', 'a']`: a inherits b, b inherits a). Edges to archetypes that
 * are not declared are ignored; validation reports those separately. Names and edges are visited
 * in sorted order so the same schema always reports the same cycle.
 *
 * Iterative depth-first search: a pushed schema is untrusted input, and a long inherits chain must
 * not overflow the stack.
 */
export function orderArchetypesByInherits(archetypes: readonly SchemaArchetypeView[]): InheritsOrder {
  const parentsOf = new Map<string, string[]>();
  for (const archetype of archetypes) parentsOf.set(archetype.name, sortNames(archetype.inherits ?? []));
  for (const [name, parents] of parentsOf)
    parentsOf.set(
      name,
      parents.filter((parent) => parentsOf.has(parent)),
    );

  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  for (const { name: root } of sortByName(archetypes)) {
    if (state.has(root)) continue;
    state.set(root, 'visiting');
    const stack = [{ name: root, next: 0 }];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const parents = parentsOf.get(frame.name) ?? [];
      if (frame.next >= parents.length) {
        state.set(frame.name, 'done');
        order.push(frame.name);
        stack.pop();
        continue;
      }
      const parent = parents[frame.next++]!;
      const seen = state.get(parent);
      if (seen === 'done') continue;
      if (seen === 'visiting') {
        const start = stack.findIndex((entry) => entry.name === parent);
        return { cycle: [...stack.slice(start).map((entry) => entry.name), parent] };
      }
      state.set(parent, 'visiting');
      stack.push({ name: parent, next: 0 });
    }
  }
  return { order };
}

/** `a -> b -> a`, the form the pylon-cli RBAC contract gives cycle messages. */
export function formatCycle(cycle: readonly string[]): string {
  return cycle.join(' -> ');
}
