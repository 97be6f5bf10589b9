import { describe, expect, it } from 'vitest';
import { diffSchemas, isDestructiveChange } from '../../src/schema/diff.js';
import type { BareSchema } from '../../src/schema/types.js';

const base: BareSchema = {
  version_tag: '1',
  capabilities: [
    { name: 'world.read', description: 'Read' },
    { name: 'world.write' },
    { name: 'policy.set' },
  ],
  archetypes: [
    { name: 'viewer', capabilities: ['world.read'], description: 'Read-only' },
    { name: 'editor', capabilities: ['world.write'], inherits: ['viewer'] },
    { name: 'admin', capabilities: ['policy.set'], inherits: ['editor'] },
  ],
};

function edit(change: (schema: BareSchema) => void): BareSchema {
  const copy = structuredClone(base);
  change(copy);
  return copy;
}

describe('diffSchemas', () => {
  it('finds no change between a schema and itself, and calls that additive', () => {
    expect(diffSchemas(base, base)).toEqual({ kind: 'additive', changes: [] });
    expect(diffSchemas(base, structuredClone(base))).toEqual({ kind: 'additive', changes: [] });
  });

  it('ignores order and the version tag', () => {
    const reordered = edit((schema) => {
      schema.version_tag = '2';
      schema.capabilities.reverse();
      schema.archetypes.reverse();
      schema.archetypes[0]!.capabilities.reverse();
    });
    expect(diffSchemas(base, reordered).changes).toEqual([]);
  });

  describe('additive (accepted at once)', () => {
    it('new capability → capability_added', () => {
      const next = edit((schema) => schema.capabilities.push({ name: 'world.delete' }));
      expect(diffSchemas(base, next)).toEqual({
        kind: 'additive',
        changes: [{ type: 'capability_added', name: 'world.delete' }],
      });
    });

    it('new archetype → archetype_added (its lists are not reported again)', () => {
      const next = edit((schema) =>
        schema.archetypes.push({ name: 'owner', capabilities: ['policy.set'], inherits: ['admin'] }),
      );
      expect(diffSchemas(base, next)).toEqual({
        kind: 'additive',
        changes: [{ type: 'archetype_added', archetype: 'owner' }],
      });
    });

    it('new inherits edge → inherits_added', () => {
      const next = edit((schema) => {
        schema.archetypes[0]!.inherits = [];
      });
      expect(diffSchemas(base, next).changes).toEqual([]);
      const grown = edit((schema) => schema.archetypes[2]!.inherits!.push('viewer'));
      expect(diffSchemas(base, grown)).toEqual({
        kind: 'additive',
        changes: [{ type: 'inherits_added', archetype: 'admin', inherits: ['viewer'] }],
      });
    });

    it('capabilities growing → archetype_caps_added, sorted', () => {
      const next = edit((schema) => schema.archetypes[0]!.capabilities.push('world.write', 'policy.set'));
      expect(diffSchemas(base, next)).toEqual({
        kind: 'additive',
        changes: [{ type: 'archetype_caps_added', archetype: 'viewer', caps: ['policy.set', 'world.write'] }],
      });
    });

    it('description set, changed or removed → description_changed (name for a capability, archetype for an archetype)', () => {
      const next = edit((schema) => {
        schema.capabilities[0]!.description = 'Read worlds';
        schema.capabilities[1]!.description = 'Write';
        delete schema.archetypes[0]!.description;
      });
      expect(diffSchemas(base, next)).toEqual({
        kind: 'additive',
        changes: [
          { type: 'description_changed', name: 'world.read' },
          { type: 'description_changed', name: 'world.write' },
          { type: 'description_changed', archetype: 'viewer' },
        ],
      });
    });

    it('a description that differs only in Unicode normalisation is not a change', () => {
      const a = edit((schema) => {
        schema.capabilities[0]!.description = 'Caf\u00e9';
      });
      const b = edit((schema) => {
        schema.capabilities[0]!.description = 'Cafe\u0301';
      });
      expect(diffSchemas(a, b).changes).toEqual([]);
    });
  });

  describe('destructive (waits for approval)', () => {
    it('removing a capability → capability_removed, plus the archetypes whose grants shrink', () => {
      const next = edit((schema) => {
        schema.capabilities = schema.capabilities.filter((capability) => capability.name !== 'world.read');
        schema.archetypes[0]!.capabilities = [];
      });
      expect(diffSchemas(base, next)).toEqual({
        kind: 'destructive',
        changes: [
          { type: 'capability_removed', name: 'world.read' },
          { type: 'archetype_caps_removed', archetype: 'viewer', caps: ['world.read'] },
        ],
      });
    });

    it('renaming a capability → removed plus added', () => {
      const next = edit((schema) => {
        schema.capabilities[2]!.name = 'policy.write';
        schema.archetypes[2]!.capabilities = ['policy.write'];
      });
      expect(diffSchemas(base, next)).toEqual({
        kind: 'destructive',
        changes: [
          { type: 'capability_removed', name: 'policy.set' },
          { type: 'archetype_caps_removed', archetype: 'admin', caps: ['policy.set'] },
          { type: 'capability_added', name: 'policy.write' },
          { type: 'archetype_caps_added', archetype: 'admin', caps: ['policy.write'] },
        ],
      });
    });

    it('removing an archetype → archetype_removed, plus the inherits edges that go with it', () => {
      const next = edit((schema) => {
        schema.archetypes = schema.archetypes.filter((archetype) => archetype.name !== 'editor');
        schema.archetypes[1]!.inherits = [];
      });
      expect(diffSchemas(base, next)).toEqual({
        kind: 'destructive',
        changes: [
          { type: 'archetype_removed', archetype: 'editor' },
          { type: 'inherits_removed', archetype: 'admin', inherits: ['editor'] },
        ],
      });
    });

    it('renaming an archetype → removed plus added', () => {
      const next = edit((schema) => {
        schema.archetypes[2]!.name = 'superuser';
      });
      expect(diffSchemas(base, next)).toEqual({
        kind: 'destructive',
        changes: [
          { type: 'archetype_removed', archetype: 'admin' },
          { type: 'archetype_added', archetype: 'superuser' },
        ],
      });
    });

    it('removing an inherits edge → inherits_removed (absent and empty inherits are the same)', () => {
      const next = edit((schema) => delete schema.archetypes[1]!.inherits);
      expect(diffSchemas(base, next)).toEqual({
        kind: 'destructive',
        changes: [{ type: 'inherits_removed', archetype: 'editor', inherits: ['viewer'] }],
      });
    });

    it('capabilities shrinking → archetype_caps_removed', () => {
      const next = edit((schema) => {
        schema.archetypes[1]!.capabilities = [];
      });
      expect(diffSchemas(base, next)).toEqual({
        kind: 'destructive',
        changes: [{ type: 'archetype_caps_removed', archetype: 'editor', caps: ['world.write'] }],
      });
    });

    it('one destructive change makes the whole diff destructive', () => {
      const next = edit((schema) => {
        schema.capabilities.push({ name: 'world.delete' });
        schema.archetypes[1]!.capabilities = ['world.delete'];
      });
      expect(diffSchemas(base, next)).toEqual({
        kind: 'destructive',
        changes: [
          { type: 'archetype_caps_removed', archetype: 'editor', caps: ['world.write'] },
          { type: 'capability_added', name: 'world.delete' },
          { type: 'archetype_caps_added', archetype: 'editor', caps: ['world.delete'] },
        ],
      });
    });
  });

  it('orders changes by type (destructive first), then capability before archetype, then name', () => {
    const next = edit((schema) => {
      schema.capabilities.push({ name: 'z.cap' }, { name: 'a.cap' });
      schema.archetypes.push({ name: 'b', capabilities: [] }, { name: 'a', capabilities: [] });
      schema.capabilities[0]!.description = 'changed';
      schema.archetypes[0]!.description = 'changed';
      schema.capabilities = schema.capabilities.filter((capability) => capability.name !== 'policy.set');
      schema.archetypes[2]!.capabilities = [];
    });
    expect(diffSchemas(base, next).changes.map((change) => change.type)).toEqual([
      'capability_removed',
      'archetype_caps_removed',
      'capability_added',
      'capability_added',
      'archetype_added',
      'archetype_added',
      'description_changed',
      'description_changed',
    ]);
    const changes = diffSchemas(base, next).changes;
    expect(changes.slice(2, 4)).toEqual([
      { type: 'capability_added', name: 'a.cap' },
      { type: 'capability_added', name: 'z.cap' },
    ]);
    expect(changes.slice(6)).toEqual([
      { type: 'description_changed', name: 'world.read' },
      { type: 'description_changed', archetype: 'viewer' },
    ]);
  });

  it('isDestructiveChange agrees with the contract table', () => {
    expect(isDestructiveChange({ type: 'inherits_removed', archetype: 'a', inherits: ['b'] })).toBe(true);
    expect(isDestructiveChange({ type: 'description_changed', name: 'a' })).toBe(false);
  });
});
