import { describe, expect, it } from 'vitest';
import { diffSchemas } from '../../src/schema/diff.js';
import { expandAllArchetypes } from '../../src/schema/expand.js';
import { stripNamespace } from '../../src/schema/namespace.js';
import { prepareSchema } from '../../src/schema/prepare.js';
import type { BareSchema, PreparedSchema } from '../../src/schema/types.js';
import { validateSchema } from '../../src/schema/validate.js';
import { verifyPreparedSchema } from '../../src/schema/verify.js';
import { catchSchemaError } from './expect-schema-error.js';
import {
  ADDITIVE_EDITS,
  createRandom,
  DESTRUCTIVE_EDITS,
  type Edit,
  generateSchema,
  type Random,
  writeSource,
} from './random-schema.js';

// Fixed seeds keep failures reproducible: a failure names its seed.
const RUNS = 200;
const APP = 'prop-app';
const options = { cliVersion: '0.0.0-test' };

function forEachSeed(body: (random: Random) => void): void {
  for (let seed = 1; seed <= RUNS; seed++) {
    try {
      body(createRandom(seed));
    } catch (error) {
      throw new Error(`seed ${seed}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  }
}

function prepare(schema: BareSchema, random: Random): { text: string; parsed: PreparedSchema } {
  const text = prepareSchema(writeSource(schema, random), APP, options);
  return { text, parsed: JSON.parse(text) as PreparedSchema };
}

function bodyOf(prepared: PreparedSchema): BareSchema {
  const { _prepared: _marker, ...body } = prepared;
  return body;
}

describe('schema properties (seeded random schemas)', () => {
  it('generated schemas are valid, and their prepared form verifies', () => {
    forEachSeed((random) => {
      const schema = generateSchema(random);
      expect(() => validateSchema(schema)).not.toThrow();
      const { text } = prepare(schema, random);
      expect(() => verifyPreparedSchema(text, { appId: APP })).not.toThrow();
    });
  });

  it('prepare is deterministic, and independent of source order and of YAML versus JSON', () => {
    forEachSeed((random) => {
      const schema = generateSchema(random);
      const source = writeSource(schema, random);
      expect(prepareSchema(source, APP, options)).toBe(prepareSchema(source, APP, options));
      const a = prepare(schema, random).parsed;
      const b = prepare(schema, random).parsed;
      expect(b._prepared.content_sha256).toBe(a._prepared.content_sha256);
      expect(bodyOf(b)).toEqual(bodyOf(a));
    });
  });

  it('is idempotent: re-preparing the bare equivalent of a prepared body gives the same body and hash', () => {
    forEachSeed((random) => {
      const first = prepare(generateSchema(random), random).parsed;
      const bare = stripNamespace(bodyOf(first), APP);
      const second = prepare(bare, random).parsed;
      expect(second._prepared.content_sha256).toBe(first._prepared.content_sha256);
      expect(bodyOf(second)).toEqual(bodyOf(first));
    });
  });

  it('diff(a, a) is empty and additive, bare and prepared', () => {
    forEachSeed((random) => {
      const schema = generateSchema(random);
      expect(diffSchemas(schema, structuredClone(schema))).toEqual({ kind: 'additive', changes: [] });
      const prepared = prepare(schema, random).parsed;
      expect(diffSchemas(prepared, prepare(schema, random).parsed)).toEqual({
        kind: 'additive',
        changes: [],
      });
    });
  });

  const checkEdit = (edit: Edit, kind: 'additive' | 'destructive'): void => {
    let applied = 0;
    forEachSeed((random) => {
      const before = generateSchema(random);
      const after = edit.apply(before, random);
      if (after === undefined) return;
      applied += 1;
      expect(() => validateSchema(after)).not.toThrow();

      const bareDiff = diffSchemas(before, after);
      expect(bareDiff.kind).toBe(kind);
      expect(bareDiff.changes.map((change) => change.type)).toContain(edit.expected);

      // The same verdict on prepared files, which is what the server actually compares.
      const preparedDiff = diffSchemas(prepare(before, random).parsed, prepare(after, random).parsed);
      expect(preparedDiff.kind).toBe(kind);
      expect(preparedDiff.changes.length).toBe(bareDiff.changes.length);

      // Undoing an additive edit takes something away, except for a description change.
      if (kind === 'additive' && edit.expected !== 'description_changed') {
        expect(diffSchemas(after, before).kind).toBe('destructive');
      }
    });
    expect(applied).toBeGreaterThan(RUNS / 4);
  };

  for (const edit of DESTRUCTIVE_EDITS) {
    it(`destructive edit is detected as destructive: ${edit.label}`, () => checkEdit(edit, 'destructive'));
  }
  for (const edit of ADDITIVE_EDITS) {
    it(`additive edit is detected as additive: ${edit.label}`, () => checkEdit(edit, 'additive'));
  }

  it('diff output is deterministic whatever the input order', () => {
    forEachSeed((random) => {
      const before = generateSchema(random);
      const edits = [...DESTRUCTIVE_EDITS, ...ADDITIVE_EDITS];
      let after: BareSchema = before;
      for (let i = 0; i < 3; i++) after = random.pick(edits).apply(after, random) ?? after;
      const reordered = (schema: BareSchema): BareSchema => ({
        ...schema,
        capabilities: random.shuffle(schema.capabilities),
        archetypes: random.shuffle(schema.archetypes),
      });
      expect(diffSchemas(reordered(before), reordered(after))).toEqual(diffSchemas(before, after));
    });
  });

  it('expansion equals a naive recursive union, for bare and prepared forms alike', () => {
    forEachSeed((random) => {
      const schema = generateSchema(random);
      const byName = new Map(schema.archetypes.map((archetype) => [archetype.name, archetype]));
      const naive = (name: string): Set<string> => {
        const archetype = byName.get(name)!;
        const result = new Set(archetype.capabilities);
        for (const parent of archetype.inherits ?? [])
          for (const capability of naive(parent)) result.add(capability);
        return result;
      };
      const expanded = expandAllArchetypes(schema);
      const prepared = expandAllArchetypes(prepare(schema, random).parsed);
      for (const { name } of schema.archetypes) {
        expect(expanded.get(name)).toEqual([...naive(name)].sort());
        expect(prepared.get(`${APP}:${name}`)).toEqual(
          [...naive(name)].sort().map((capability) => `${APP}:${capability}`),
        );
      }
    });
  });

  it('a back edge always yields invalid_schema naming a real cycle', () => {
    let tried = 0;
    forEachSeed((random) => {
      const schema = generateSchema(random);
      // Any edge from an archetype to one of its descendants (or itself) closes a cycle.
      const candidates = schema.archetypes.filter((archetype) => (archetype.inherits ?? []).length > 0);
      if (candidates.length === 0) return;
      tried += 1;
      const child = random.pick(candidates);
      const parentName = random.pick(child.inherits!);
      const parent = schema.archetypes.find((archetype) => archetype.name === parentName)!;
      parent.inherits = [...(parent.inherits ?? []), random.chance(0.2) ? parent.name : child.name];

      const error = catchSchemaError(() => validateSchema(schema), 'invalid_schema');
      const line = error.issues.find((issue) => issue.startsWith('inherits cycle: '));
      expect(line).toBeDefined();
      const path = line!.slice('inherits cycle: '.length).split(' -> ');
      expect(path[0]).toBe(path[path.length - 1]);
      for (let i = 0; i + 1 < path.length; i++) {
        const from = schema.archetypes.find((archetype) => archetype.name === path[i]);
        expect(from?.inherits).toContain(path[i + 1]);
      }
    });
    expect(tried).toBeGreaterThan(RUNS / 4);
  });
});
