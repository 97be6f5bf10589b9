import { describe, expect, it } from 'vitest';
import type { BareSchema } from '../../src/schema/types.js';
import { validateSchema } from '../../src/schema/validate.js';
import { catchSchemaError } from './expect-schema-error.js';

function schema(overrides: Partial<BareSchema> = {}): BareSchema {
  return {
    version_tag: '1',
    capabilities: [{ name: 'world.read' }, { name: 'world.write' }],
    archetypes: [
      { name: 'viewer', capabilities: ['world.read'] },
      { name: 'editor', capabilities: ['world.write'], inherits: ['viewer'] },
    ],
    ...overrides,
  };
}

describe('validateSchema', () => {
  it('returns a valid schema unchanged in content', () => {
    expect(validateSchema(schema())).toEqual(schema());
  });

  it('accepts every character class the name pattern allows', () => {
    const names = ['a', '0', 'a.b', 'a-b', 'a_b', '9lives', 'x.y-z_0'];
    expect(() =>
      validateSchema(schema({ capabilities: names.map((name) => ({ name })), archetypes: [] })),
    ).not.toThrow();
  });

  it.each([
    ['upper case', 'World.read'],
    ['leading dot', '.read'],
    ['leading dash', '-read'],
    ['leading underscore', '_read'],
    ['a namespace colon', 'app:read'],
    ['a space', 'world read'],
    ['empty', ''],
    ['non-ASCII', 'wörld'],
    ['a trailing newline', 'world\n'],
  ])('refuses a capability name with %s', (_label, name) => {
    const error = catchSchemaError(
      () => validateSchema(schema({ capabilities: [{ name }], archetypes: [] })),
      'invalid_schema',
    );
    expect(error.issues).toEqual([
      `capability name ${JSON.stringify(name)} must match ^[a-z0-9][a-z0-9._-]*$`,
    ]);
  });

  it.each([
    ['a right-to-left override and a NUL', '\u202eevil\u0000'],
    ['a control character', '1.0\u0007'],
    ['a line feed', '1.0.0\nrelease'],
    ['a zero-width space', '1.0\u200b.0'],
    ['a bidi isolate', '\u20661.0.0\u2069'],
    ['a fullwidth digit (not NFKC)', '\uff11.0.0'],
    ['a line separator', '1.0\u20282.0'],
  ])('refuses a version_tag with %s, without echoing it', (_label, tag) => {
    const error = catchSchemaError(() => validateSchema(schema({ version_tag: tag })), 'invalid_schema');
    expect(error.issues).toEqual([
      'version_tag must not contain control, format or line-breaking characters, and must be in NFKC form',
    ]);
  });

  it('accepts a version_tag of visible text, non-ASCII included', () => {
    for (const tag of ['0.1.0', 'v2 — spring release', '2026-01-01+build.7', 'été']) {
      expect(() => validateSchema(schema({ version_tag: tag })), tag).not.toThrow();
    }
  });

  it('refuses a bad archetype name', () => {
    const error = catchSchemaError(
      () => validateSchema(schema({ archetypes: [{ name: 'Admin', capabilities: [] }] })),
      'invalid_schema',
    );
    expect(error.issues).toEqual(['archetype name "Admin" must match ^[a-z0-9][a-z0-9._-]*$']);
  });

  it('refuses a duplicate capability, once however often it repeats', () => {
    const error = catchSchemaError(
      () =>
        validateSchema(
          schema({
            capabilities: [
              { name: 'world.read' },
              { name: 'world.read' },
              { name: 'world.read' },
              { name: 'world.write' },
            ],
          }),
        ),
      'invalid_schema',
    );
    expect(error.issues).toEqual(['duplicate capability "world.read"']);
  });

  it('refuses a duplicate archetype', () => {
    const base = schema();
    const error = catchSchemaError(
      () =>
        validateSchema({ ...base, archetypes: [...base.archetypes, { name: 'viewer', capabilities: [] }] }),
      'invalid_schema',
    );
    expect(error.issues).toEqual(['duplicate archetype "viewer"']);
  });

  it('allows a capability and an archetype to share a name: they are separate kinds', () => {
    expect(() =>
      validateSchema(
        schema({
          capabilities: [{ name: 'viewer' }],
          archetypes: [{ name: 'viewer', capabilities: ['viewer'] }],
        }),
      ),
    ).not.toThrow();
  });

  it('refuses an archetype listing an undeclared capability', () => {
    const error = catchSchemaError(
      () =>
        validateSchema(
          schema({ archetypes: [{ name: 'viewer', capabilities: ['world.read', 'world.delete'] }] }),
        ),
      'invalid_schema',
    );
    expect(error.issues).toEqual(['archetype "viewer" lists undeclared capability "world.delete"']);
  });

  it('refuses a capability listed twice in one archetype', () => {
    const error = catchSchemaError(
      () =>
        validateSchema(
          schema({ archetypes: [{ name: 'viewer', capabilities: ['world.read', 'world.read'] }] }),
        ),
      'invalid_schema',
    );
    expect(error.issues).toEqual(['archetype "viewer" lists capability "world.read" more than once']);
  });

  it('refuses a dangling inherits', () => {
    const error = catchSchemaError(
      () =>
        validateSchema(schema({ archetypes: [{ name: 'editor', capabilities: [], inherits: ['viewr'] }] })),
      'invalid_schema',
    );
    expect(error.issues).toEqual(['archetype "editor" inherits undeclared archetype "viewr"']);
  });

  it('refuses an archetype inherited twice', () => {
    const base = schema();
    const error = catchSchemaError(
      () =>
        validateSchema({
          ...base,
          archetypes: [
            base.archetypes[0]!,
            { name: 'editor', capabilities: [], inherits: ['viewer', 'viewer'] },
          ],
        }),
      'invalid_schema',
    );
    expect(error.issues).toEqual(['archetype "editor" inherits "viewer" more than once']);
  });

  it('refuses a two-archetype cycle and names it', () => {
    const error = catchSchemaError(
      () =>
        validateSchema(
          schema({
            archetypes: [
              { name: 'a', capabilities: [], inherits: ['b'] },
              { name: 'b', capabilities: [], inherits: ['a'] },
            ],
          }),
        ),
      'invalid_schema',
    );
    expect(error.issues).toEqual(['inherits cycle: a -> b -> a']);
    expect(error.message).toContain('a -> b -> a');
  });

  it('refuses a self-inheritance as the cycle a -> a', () => {
    const error = catchSchemaError(
      () => validateSchema(schema({ archetypes: [{ name: 'a', capabilities: [], inherits: ['a'] }] })),
      'invalid_schema',
    );
    expect(error.issues).toEqual(['inherits cycle: a -> a']);
  });

  it('names only the cycle, not the path that led into it', () => {
    const error = catchSchemaError(
      () =>
        validateSchema(
          schema({
            archetypes: [
              { name: 'a', capabilities: [], inherits: ['b'] },
              { name: 'b', capabilities: [], inherits: ['c'] },
              { name: 'c', capabilities: [], inherits: ['d'] },
              { name: 'd', capabilities: [], inherits: ['b'] },
            ],
          }),
        ),
      'invalid_schema',
    );
    expect(error.issues).toEqual(['inherits cycle: b -> c -> d -> b']);
  });

  it('accepts a diamond, which shares ancestors without a cycle', () => {
    const diamond = schema({
      archetypes: [
        { name: 'top', capabilities: [] },
        { name: 'left', capabilities: [], inherits: ['top'] },
        { name: 'right', capabilities: [], inherits: ['top'] },
        { name: 'bottom', capabilities: [], inherits: ['left', 'right'] },
      ],
    });
    expect(() => validateSchema(diamond)).not.toThrow();
  });

  it('does not overflow the stack on a very long inherits chain', () => {
    const archetypes = Array.from({ length: 20_000 }, (_, i) => ({
      name: `a${i}`,
      capabilities: [],
      inherits: i === 0 ? [] : [`a${i - 1}`],
    }));
    expect(() => validateSchema(schema({ archetypes }))).not.toThrow();
    archetypes[0]!.inherits = ['a19999'];
    expect(catchSchemaError(() => validateSchema(schema({ archetypes })), 'invalid_schema').message).toMatch(
      /inherits cycle: a0 -> a19999 -> /,
    );
  });

  it('reports every problem at once', () => {
    const error = catchSchemaError(
      () =>
        validateSchema({
          version_tag: '1',
          capabilities: [{ name: 'A' }, { name: 'b' }, { name: 'b' }],
          archetypes: [{ name: 'x', capabilities: ['zz'], inherits: ['nope', 'x'] }],
        }),
      'invalid_schema',
    );
    expect(error.issues).toEqual([
      'capability name "A" must match ^[a-z0-9][a-z0-9._-]*$',
      'duplicate capability "b"',
      'archetype "x" lists undeclared capability "zz"',
      'archetype "x" inherits undeclared archetype "nope"',
      'inherits cycle: x -> x',
    ]);
  });

  it('refuses unknown keys and wrong shapes on hand-built values too', () => {
    catchSchemaError(() => validateSchema({ ...schema(), extra: true }), 'invalid_schema');
    catchSchemaError(
      () => validateSchema({ ...schema(), capabilities: [{ name: 'a', title: 'A' }] }),
      'invalid_schema',
    );
    catchSchemaError(() => validateSchema(null), 'invalid_schema');
    catchSchemaError(() => validateSchema('version_tag: 1'), 'invalid_schema');
  });
});
