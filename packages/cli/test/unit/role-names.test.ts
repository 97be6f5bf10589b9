import { describe, expect, it } from 'vitest';
import { qualifyArchetype, qualifyCapability } from '../../src/commands/role.js';

describe('names people type become the names schemas hold', () => {
  it('a bare archetype or capability is namespaced with the app', () => {
    expect(qualifyArchetype('notes', 'editor')).toBe('notes:editor');
    expect(qualifyCapability('notes', 'note.write')).toBe('notes:note.write');
  });

  it('a namespaced name is kept as typed', () => {
    expect(qualifyArchetype('notes', 'notes:editor')).toBe('notes:editor');
    expect(qualifyCapability('notes', 'notes:note.write')).toBe('notes:note.write');
  });

  it('the built-in pylon app: bare archetypes, namespaced capabilities', () => {
    expect(qualifyArchetype('pylon', 'pylon-auditor')).toBe('pylon-auditor');
    expect(qualifyCapability('pylon', 'audit.read')).toBe('pylon:audit.read');
  });
});
