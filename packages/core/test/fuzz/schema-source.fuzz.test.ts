import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { canonicalJSON } from '../../src/schema/canonical-json.js';
import { parseSchemaSource } from '../../src/schema/parse-source.js';
import { SchemaError } from '../../src/schema/schema-error.js';
import { validateSchema } from '../../src/schema/validate.js';

// Schema sources come from app authors' files (YAML or JSON) over `pylon schema push`: outside
// input. Properties: only SchemaError ever escapes, and a schema written either way reads the same.

/** Runs the parser; anything thrown must be a SchemaError with a stable code. */
function outcome(text: string): 'accepted' | string {
  try {
    validateSchema(parseSchemaSource(text));
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(SchemaError);
    return (error as SchemaError).code;
  }
}

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
const bareSchema = fc
  .record({
    version_tag: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,10}$/),
    capabilities: fc.uniqueArray(name, { minLength: 1, maxLength: 6 }),
    archetypes: fc.uniqueArray(name, { minLength: 1, maxLength: 4 }),
  })
  .chain(({ version_tag, capabilities, archetypes }) =>
    fc.tuple(...archetypes.map(() => fc.subarray(capabilities))).map((held) => ({
      version_tag,
      capabilities: capabilities.map((capability) => ({ name: capability })),
      archetypes: archetypes.map((archetype, index) => ({ name: archetype, capabilities: held[index]! })),
    })),
  );

describe('schema sources (YAML 1.2 / JSON)', () => {
  it('never throws anything but a SchemaError, for any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        outcome(text);
      }),
      { numRuns: 1500 },
    );
  });

  it('never throws anything but a SchemaError for YAML-shaped soups', () => {
    const pieces = fc.constantFrom(
      'version_tag: ',
      'capabilities:',
      'archetypes:',
      '\n  - name: ',
      '\n    capabilities: [',
      ']',
      'read',
      'write',
      '&a ',
      '*a',
      '!!binary ',
      '2024-01-01',
      '\n',
      '{',
      '}',
      '"',
      ': ',
      '- ',
      '<<: *a',
      '_prepared: ',
      'inherits: [',
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => {
        outcome(parts.join(''));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a schema the same whether written as JSON or YAML', () => {
    fc.assert(
      fc.property(bareSchema, (schema) => {
        const fromJSON = parseSchemaSource(JSON.stringify(schema));
        const fromYAML = parseSchemaSource(stringify(schema));
        expect(canonicalJSON(fromYAML)).toBe(canonicalJSON(fromJSON));
        expect(fromJSON).toEqual(schema);
        expect(outcome(JSON.stringify(schema))).toBe('accepted');
      }),
    );
  });

  it('refuses a member named twice instead of keeping the last one', () => {
    fc.assert(
      fc.property(bareSchema, (schema) => {
        const json = JSON.stringify(schema);
        const twice = `{"version_tag":"shadow",${json.slice(1)}`;
        expect(outcome(twice)).toBe('invalid_schema');
      }),
    );
  });

  it('refuses a mapping key that is a collection, without a process warning', async () => {
    const warnings: string[] = [];
    const listen = (warning: Error) => warnings.push(warning.message);
    process.on('warning', listen);
    try {
      expect(outcome('? [a, b]\n: c\nversion_tag: x')).toBe('invalid_schema');
      expect(outcome('{[a]: 1}')).toBe('invalid_schema');
      expect(outcome('!!binary cXVpZXQ=: 1')).toBe('invalid_schema');
      // Node emits warnings on the next tick: let them arrive before listening stops.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listen);
    }
    expect(warnings).toEqual([]);
  });

  it('refuses alias bombs instead of expanding them', () => {
    const layers = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const previous = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      layers.push(`${next}: &${next} [${Array(10).fill(`*${previous}`).join(',')}]`);
    }
    expect(outcome(layers.join('\n'))).toBe('invalid_schema');
  });
});
