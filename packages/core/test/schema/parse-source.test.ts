import { describe, expect, it } from 'vitest';
import { parseSchemaSource } from '../../src/schema/parse-source.js';
import { catchSchemaError } from './expect-schema-error.js';

const minimal = 'version_tag: "1"\ncapabilities: [{name: a}]\narchetypes: [{name: x, capabilities: [a]}]\n';

describe('parseSchemaSource', () => {
  it('reads YAML', () => {
    expect(parseSchemaSource(minimal)).toEqual({
      version_tag: '1',
      capabilities: [{ name: 'a' }],
      archetypes: [{ name: 'x', capabilities: ['a'] }],
    });
  });

  it('reads JSON, including tab-indented JSON and a byte-order mark', () => {
    const value = { version_tag: '1', capabilities: [{ name: 'a', description: 'd' }], archetypes: [] };
    expect(parseSchemaSource(JSON.stringify(value))).toEqual(value);
    expect(parseSchemaSource(JSON.stringify(value, null, '\t'))).toEqual(value);
    expect(parseSchemaSource(`\uFEFF${JSON.stringify(value)}`)).toEqual(value);
  });

  it('keeps a date-like version_tag a string (YAML 1.2 core schema)', () => {
    expect(parseSchemaSource('version_tag: 2024-01-01\ncapabilities: []\narchetypes: []').version_tag).toBe(
      '2024-01-01',
    );
  });

  it('refuses malformed YAML with the position', () => {
    const error = catchSchemaError(
      () => parseSchemaSource('version_tag: "1"\ncapabilities: [\n'),
      'invalid_schema',
    );
    expect(error.message).toMatch(/not valid YAML or JSON/);
    expect(error.message).toMatch(/line \d+/);
  });

  it('refuses malformed JSON', () => {
    catchSchemaError(() => parseSchemaSource('{"version_tag": "1", "capabilities": [}'), 'invalid_schema');
  });

  it('refuses duplicate keys, which JSON.parse would silently collapse', () => {
    const error = catchSchemaError(
      () => parseSchemaSource('{"version_tag": "1", "capabilities": [], "archetypes": [], "archetypes": []}'),
      'invalid_schema',
    );
    expect(error.message).toMatch(/unique/);
  });

  it('refuses several YAML documents in one file', () => {
    catchSchemaError(() => parseSchemaSource(`${minimal}---\n${minimal}`), 'invalid_schema');
  });

  it('refuses an empty file and non-mapping documents', () => {
    expect(catchSchemaError(() => parseSchemaSource(''), 'invalid_schema').message).toMatch(/empty/);
    expect(catchSchemaError(() => parseSchemaSource('# only a comment\n'), 'invalid_schema').message).toMatch(
      /empty/,
    );
    expect(catchSchemaError(() => parseSchemaSource('- a\n- b'), 'invalid_schema').message).toMatch(
      /must be a mapping, not a list/,
    );
    catchSchemaError(() => parseSchemaSource('"just a string"'), 'invalid_schema');
  });

  it('refuses alias bombs', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    catchSchemaError(() => parseSchemaSource(lines.join('\n')), 'invalid_schema');
  });

  it('names missing fields', () => {
    const error = catchSchemaError(() => parseSchemaSource('capabilities: []'), 'invalid_schema');
    expect(error.issues).toEqual(['version_tag: is required', 'archetypes: is required']);
  });

  it('suggests quoting a numeric version_tag', () => {
    const error = catchSchemaError(
      () => parseSchemaSource('version_tag: 1.0\ncapabilities: []\narchetypes: []'),
      'invalid_schema',
    );
    expect(error.issues).toEqual(['version_tag: must be a string, not a number (quote it in YAML)']);
  });

  it('refuses an empty version_tag', () => {
    const error = catchSchemaError(
      () => parseSchemaSource('version_tag: ""\ncapabilities: []\narchetypes: []'),
      'invalid_schema',
    );
    expect(error.issues).toEqual(['version_tag: must not be empty']);
  });

  it('refuses unknown keys at every level, with their path', () => {
    const error = catchSchemaError(
      () =>
        parseSchemaSource(
          'version_tag: "1"\nowner: me\ncapabilities: [{name: a, label: A}]\narchetypes: [{name: x, capabilities: [a], inherit: [y]}]',
        ),
      'invalid_schema',
    );
    expect(error.issues).toEqual([
      'capabilities[0]: unknown key "label"',
      'archetypes[0]: unknown key "inherit"',
      'unknown key "owner"',
    ]);
  });

  it('refuses __proto__ as an unknown key rather than touching the prototype', () => {
    const error = catchSchemaError(
      () =>
        parseSchemaSource('version_tag: "1"\ncapabilities: []\narchetypes: []\n__proto__: {polluted: true}'),
      'invalid_schema',
    );
    expect(error.issues).toEqual(['unknown key "__proto__"']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses wrong types with their path', () => {
    const error = catchSchemaError(
      () =>
        parseSchemaSource(
          'version_tag: "1"\ncapabilities: [{name: 7, description: null}]\narchetypes: [{name: x, capabilities: a, inherits: [{}]}]',
        ),
      'invalid_schema',
    );
    expect(error.issues).toEqual([
      'capabilities[0].name: must be a string, not a number (quote it in YAML)',
      'capabilities[0].description: must be a string, not null',
      'archetypes[0].capabilities: must be a list, not a string',
      'archetypes[0].inherits[0]: must be a string, not a mapping',
    ]);
  });

  it('refuses YAML-only types such as binary', () => {
    catchSchemaError(
      () => parseSchemaSource('version_tag: !!binary aGVsbG8=\ncapabilities: []\narchetypes: []'),
      'invalid_schema',
    );
  });
});
