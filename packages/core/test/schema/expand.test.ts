import { describe, expect, it } from 'vitest';
import { expandAllArchetypes, expandArchetype } from '../../src/schema/expand.js';
import type { BareSchema } from '../../src/schema/types.js';
import { catchSchemaError } from './expect-schema-error.js';

const schema: BareSchema = {
  version_tag: '1',
  capabilities: ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name })),
  archetypes: [
    { name: 'bottom', capabilities: ['e'], inherits: ['left', 'right'] },
    { name: 'left', capabilities: ['b', 'a'], inherits: ['top'] },
    { name: 'right', capabilities: ['c'], inherits: ['top'] },
    { name: 'top', capabilities: ['d'] },
    { name: 'lonely', capabilities: [] },
  ],
};

describe('expandArchetype / expandAllArchetypes', () => {
  it('includes transitive inherits, sorted and without repeats (a diamond shares its top once)', () => {
    expect(expandArchetype(schema, 'bottom')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(expandArchetype(schema, 'left')).toEqual(['a', 'b', 'd']);
    expect(expandArchetype(schema, 'top')).toEqual(['d']);
    expect(expandArchetype(schema, 'lonely')).toEqual([]);
  });

  it('is undefined for an archetype the schema does not have', () => {
    expect(expandArchetype(schema, 'nobody')).toBeUndefined();
  });

  it('expands every archetype', () => {
    expect(Object.fromEntries(expandAllArchetypes(schema))).toEqual({
      bottom: ['a', 'b', 'c', 'd', 'e'],
      left: ['a', 'b', 'd'],
      right: ['c', 'd'],
      top: ['d'],
      lonely: [],
    });
  });

  it('computes once per schema object and hands out frozen arrays', () => {
    const first = expandAllArchetypes(schema);
    expect(expandAllArchetypes(schema)).toBe(first);
    expect(expandArchetype(schema, 'bottom')).toBe(first.get('bottom'));
    expect(Object.isFrozen(first.get('bottom'))).toBe(true);
    expect(expandAllArchetypes(structuredClone(schema))).not.toBe(first);
  });

  it('works on namespaced names as well', () => {
    const prepared = {
      capabilities: [{ name: 'app:x' }],
      archetypes: [
        { name: 'app:a', capabilities: ['app:x'] },
        { name: 'app:b', capabilities: [], inherits: ['app:a'] },
      ],
    };
    expect(expandArchetype(prepared, 'app:b')).toEqual(['app:x']);
  });

  it('refuses a cycle or a dangling inherits instead of looping', () => {
    const cyclic = {
      capabilities: [],
      archetypes: [
        { name: 'a', capabilities: [], inherits: ['b'] },
        { name: 'b', capabilities: [], inherits: ['a'] },
      ],
    };
    expect(catchSchemaError(() => expandAllArchetypes(cyclic), 'invalid_schema').message).toContain(
      'a -> b -> a',
    );
    const dangling = { capabilities: [], archetypes: [{ name: 'a', capabilities: [], inherits: ['ghost'] }] };
    expect(catchSchemaError(() => expandAllArchetypes(dangling), 'invalid_schema').message).toContain(
      '"ghost"',
    );
  });
});
