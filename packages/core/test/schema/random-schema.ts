import { stringify } from 'yaml';
import type { SchemaChangeType } from '../../src/schema/diff.js';
import type { BareSchema, SchemaArchetype } from '../../src/schema/types.js';

/**
 * A seeded generator of valid bare schemas and of edits to them, for property tests without a
 * property-testing dependency. Archetypes are kept in creation order and may only inherit
 * archetypes created before them, so every generated schema and every edit stays acyclic; order is
 * shuffled only when a schema is written out as source.
 */
export interface Random {
  next(): number;
  int(maxExclusive: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  shuffle<T>(items: readonly T[]): T[];
  subset<T>(items: readonly T[], probability: number): T[];
}

/** mulberry32: tiny, fast, and good enough to explore schema shapes reproducibly from a seed. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive);
  return {
    next,
    int,
    chance: (probability) => next() < probability,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(items.length)]!;
    },
    shuffle: (items) => {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      }
      return copy;
    },
    subset: (items, probability) => items.filter(() => next() < probability),
  };
}

const WORDS = ['world', 'policy', 'job', 'market', 'audit', 'x-ray', 'a_b', '9lives'];
const VERBS = ['read', 'write', 'delete', 'approve', 'v2.list'];
// NFD and non-ASCII on purpose: canonical JSON must normalise them identically on every path.
const DESCRIPTIONS = [
  'Read worlds',
  'Cafe\u0301 access',
  'Café access',
  'Ünïcödé ✓',
  '',
  'quote " and \\ slash',
];

let uniqueCounter = 0;

function freshName(random: Random, prefix: string): string {
  uniqueCounter += 1;
  return `${prefix}${uniqueCounter}.${random.pick(WORDS)}.${random.pick(VERBS)}`;
}

function maybeDescription(random: Random): { description?: string } {
  return random.chance(0.5) ? { description: random.pick(DESCRIPTIONS) } : {};
}

export function generateSchema(random: Random): BareSchema {
  const capabilities = Array.from({ length: 1 + random.int(8) }, () => ({
    name: freshName(random, 'c'),
    ...maybeDescription(random),
  }));
  const archetypes: SchemaArchetype[] = [];
  const archetypeCount = random.int(7);
  for (let i = 0; i < archetypeCount; i++) {
    const archetype: SchemaArchetype = {
      name: freshName(random, 'a'),
      capabilities: random.subset(capabilities, 0.4).map((capability) => capability.name),
      ...maybeDescription(random),
    };
    const inherits = random.subset(archetypes, 0.3).map((parent) => parent.name);
    if (inherits.length > 0 || random.chance(0.2)) archetype.inherits = inherits;
    archetypes.push(archetype);
  }
  return { version_tag: `1.${random.int(50)}.0`, capabilities, archetypes };
}

/** The schema as a source file an author might write: shuffled, in YAML or JSON. */
export function writeSource(schema: BareSchema, random: Random): string {
  const shuffled: BareSchema = {
    version_tag: schema.version_tag,
    capabilities: random.shuffle(schema.capabilities),
    archetypes: random.shuffle(schema.archetypes).map((archetype) => {
      const copy: SchemaArchetype = { ...archetype, capabilities: random.shuffle(archetype.capabilities) };
      if (archetype.inherits !== undefined) copy.inherits = random.shuffle(archetype.inherits);
      return copy;
    }),
  };
  return random.chance(0.5) ? stringify(shuffled) : JSON.stringify(shuffled, null, random.pick([0, 2, '\t']));
}

export interface Edit {
  label: string;
  expected: SchemaChangeType;
  apply(schema: BareSchema, random: Random): BareSchema | undefined;
}

function clone(schema: BareSchema): BareSchema {
  return structuredClone(schema);
}

export const DESTRUCTIVE_EDITS: readonly Edit[] = [
  {
    label: 'remove a capability',
    expected: 'capability_removed',
    apply(schema, random) {
      if (schema.capabilities.length === 0) return undefined;
      const next = clone(schema);
      const { name } = random.pick(next.capabilities);
      next.capabilities = next.capabilities.filter((capability) => capability.name !== name);
      for (const archetype of next.archetypes) {
        archetype.capabilities = archetype.capabilities.filter((capability) => capability !== name);
      }
      return next;
    },
  },
  {
    label: 'rename a capability',
    expected: 'capability_removed',
    apply(schema, random) {
      if (schema.capabilities.length === 0) return undefined;
      const next = clone(schema);
      const target = random.pick(next.capabilities);
      const renamed = freshName(random, 'r');
      for (const archetype of next.archetypes) {
        archetype.capabilities = archetype.capabilities.map((name) =>
          name === target.name ? renamed : name,
        );
      }
      target.name = renamed;
      return next;
    },
  },
  {
    label: 'remove an archetype',
    expected: 'archetype_removed',
    apply(schema, random) {
      if (schema.archetypes.length === 0) return undefined;
      const next = clone(schema);
      const { name } = random.pick(next.archetypes);
      next.archetypes = next.archetypes.filter((archetype) => archetype.name !== name);
      for (const archetype of next.archetypes) {
        if (archetype.inherits) archetype.inherits = archetype.inherits.filter((parent) => parent !== name);
      }
      return next;
    },
  },
  {
    label: "shrink an archetype's capabilities",
    expected: 'archetype_caps_removed',
    apply(schema, random) {
      const next = clone(schema);
      const candidates = next.archetypes.filter((archetype) => archetype.capabilities.length > 0);
      if (candidates.length === 0) return undefined;
      const target = random.pick(candidates);
      const dropped = random.pick(target.capabilities);
      target.capabilities = target.capabilities.filter((name) => name !== dropped);
      return next;
    },
  },
  {
    label: 'remove an inherits edge',
    expected: 'inherits_removed',
    apply(schema, random) {
      const next = clone(schema);
      const candidates = next.archetypes.filter((archetype) => (archetype.inherits ?? []).length > 0);
      if (candidates.length === 0) return undefined;
      const target = random.pick(candidates);
      const dropped = random.pick(target.inherits!);
      target.inherits = target.inherits!.filter((name) => name !== dropped);
      return next;
    },
  },
];

export const ADDITIVE_EDITS: readonly Edit[] = [
  {
    label: 'add a capability',
    expected: 'capability_added',
    apply(schema, random) {
      const next = clone(schema);
      next.capabilities.push({ name: freshName(random, 'n'), ...maybeDescription(random) });
      return next;
    },
  },
  {
    label: 'add an archetype',
    expected: 'archetype_added',
    apply(schema, random) {
      const next = clone(schema);
      next.archetypes.push({
        name: freshName(random, 'n'),
        capabilities: random.subset(next.capabilities, 0.5).map((capability) => capability.name),
        inherits: random.subset(next.archetypes, 0.3).map((archetype) => archetype.name),
      });
      return next;
    },
  },
  {
    label: "grow an archetype's capabilities",
    expected: 'archetype_caps_added',
    apply(schema, random) {
      const next = clone(schema);
      const options = next.archetypes.flatMap((archetype) =>
        next.capabilities
          .filter((capability) => !archetype.capabilities.includes(capability.name))
          .map((capability) => ({ archetype, capability: capability.name })),
      );
      if (options.length === 0) return undefined;
      const { archetype, capability } = random.pick(options);
      archetype.capabilities.push(capability);
      return next;
    },
  },
  {
    label: 'add an inherits edge',
    expected: 'inherits_added',
    apply(schema, random) {
      const next = clone(schema);
      // Only towards an earlier archetype, which keeps the graph acyclic.
      const options = next.archetypes.flatMap((child, i) =>
        next.archetypes
          .slice(0, i)
          .filter((parent) => !(child.inherits ?? []).includes(parent.name))
          .map((parent) => ({ child, parent: parent.name })),
      );
      if (options.length === 0) return undefined;
      const { child, parent } = random.pick(options);
      child.inherits = [...(child.inherits ?? []), parent];
      return next;
    },
  },
  {
    label: 'change a description',
    expected: 'description_changed',
    apply(schema, random) {
      const next = clone(schema);
      const targets = [...next.capabilities, ...next.archetypes];
      const target = random.pick(targets);
      const options = DESCRIPTIONS.filter(
        (text) => text.normalize('NFC') !== target.description?.normalize('NFC'),
      );
      if (random.chance(0.2) && target.description !== undefined) delete target.description;
      else target.description = random.pick(options);
      return next;
    },
  },
];
