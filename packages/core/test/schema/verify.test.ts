import { describe, expect, it } from 'vitest';
import { canonicalJSON } from '../../src/schema/canonical-json.js';
import { hashSchemaContent, prepareSchema } from '../../src/schema/prepare.js';
import { verifyPreparedSchema } from '../../src/schema/verify.js';
import { catchSchemaError } from './expect-schema-error.js';

const source = `
version_tag: "1"
capabilities: [{name: world.read}, {name: world.write, description: Modify}]
archetypes:
  - {name: viewer, capabilities: [world.read]}
  - {name: editor, capabilities: [world.write], inherits: [viewer]}
`;
const preparedText = prepareSchema(source, 'olam', { cliVersion: '0.0.0-test' });

// biome-ignore lint/suspicious/noExplicitAny: tests reach into the parsed JSON freely
type Json = any;

function preparedValue(): Json {
  return JSON.parse(preparedText);
}

/** Applies `edit` to the body, then re-stamps content_sha256 as a careful forger would. */
function forge(edit: (body: Json) => void): Json {
  const value = preparedValue();
  edit(value);
  value._prepared.content_sha256 = hashSchemaContent(value);
  return value;
}

describe('verifyPreparedSchema', () => {
  it('accepts prepared output, as text or as a parsed value, with or without an app id', () => {
    expect(verifyPreparedSchema(preparedText, { appId: 'olam' })).toEqual(preparedValue());
    expect(verifyPreparedSchema(preparedValue(), { appId: 'olam' })).toEqual(preparedValue());
    expect(verifyPreparedSchema(preparedText)).toEqual(preparedValue());
  });

  it('accepts a prepared file whatever its whitespace, since only content is hashed', () => {
    expect(() => verifyPreparedSchema(JSON.stringify(preparedValue()), { appId: 'olam' })).not.toThrow();
  });

  it('accepts an empty schema', () => {
    const empty = prepareSchema('version_tag: "0"\ncapabilities: []\narchetypes: []', 'olam', {
      cliVersion: '1',
    });
    expect(() => verifyPreparedSchema(empty)).not.toThrow();
    expect(() => verifyPreparedSchema(empty, { appId: 'other' })).not.toThrow();
  });

  describe('tamper detection', () => {
    it.each<[string, (value: Json) => void]>([
      ['a capability added', (value) => value.capabilities.push({ name: 'olam:world.delete' })],
      [
        'a capability granted to an archetype',
        (value) => value.archetypes[1].capabilities.push('olam:world.write'),
      ],
      [
        'a description edited',
        (value) => {
          value.capabilities[1].description = 'Modify!';
        },
      ],
      [
        'the version tag edited',
        (value) => {
          value.version_tag = '2';
        },
      ],
      ['an inherits edge removed', (value) => delete value.archetypes[0].inherits],
      [
        'the hash itself replaced',
        (value) => {
          value._prepared.content_sha256 = '0'.repeat(64);
        },
      ],
    ])('reports %s as tampered', (_label, edit) => {
      const value = preparedValue();
      edit(value);
      catchSchemaError(() => verifyPreparedSchema(value, { appId: 'olam' }), 'tampered');
    });

    it('does not care about cli_version or source_sha256, which are provenance only', () => {
      const value = preparedValue();
      value._prepared.cli_version = '9.9.9';
      value._prepared.source_sha256 = 'f'.repeat(64);
      expect(() => verifyPreparedSchema(value, { appId: 'olam' })).not.toThrow();
    });
  });

  describe('namespace violations', () => {
    it('refuses a file prepared for another app', () => {
      const error = catchSchemaError(
        () => verifyPreparedSchema(preparedText, { appId: 'other' }),
        'namespace_violation',
      );
      expect(error.message).toContain('other:<name>');
      expect(error.issues).toContain('"olam:world.read"');
    });

    it.each<[string, (value: Json) => void]>([
      [
        'a bare capability name',
        (value) => {
          value.capabilities[0].name = 'world.read';
        },
      ],
      [
        'a reference into another app',
        (value) => {
          value.archetypes[1].capabilities[0] = 'pylon:world.read';
        },
      ],
      [
        'an inherits reference into another app',
        (value) => {
          value.archetypes[0].inherits[0] = 'pylon:viewer';
        },
      ],
      [
        'an archetype name with two colons',
        (value) => {
          value.archetypes[1].name = 'olam:view:er';
        },
      ],
    ])('refuses %s, even with a recomputed hash', (_label, edit) => {
      catchSchemaError(() => verifyPreparedSchema(forge(edit), { appId: 'olam' }), 'namespace_violation');
    });

    it('without an app id, still refuses names from two namespaces', () => {
      const forged = forge((value) => {
        value.capabilities[1].name = 'pylon:world.write';
      });
      catchSchemaError(() => verifyPreparedSchema(forged), 'namespace_violation');
    });

    it('refuses an app id that cannot be a namespace', () => {
      catchSchemaError(() => verifyPreparedSchema(preparedText, { appId: 'ol:am' }), 'invalid_app_id');
    });
  });

  describe('shape and content (invalid_schema)', () => {
    it.each<[string, (value: Json) => void]>([
      ['a missing marker', (value) => delete value._prepared],
      [
        'another reserved key',
        (value) => {
          value._signature = 'x';
        },
      ],
      [
        'a marker with an extra field',
        (value) => {
          value._prepared.signed_by = 'me';
        },
      ],
      ['a marker missing a field', (value) => delete value._prepared.cli_version],
      [
        'a marker field that is not a string',
        (value) => {
          value._prepared.cli_version = 1;
        },
      ],
      [
        'a hash that is not hex',
        (value) => {
          value._prepared.content_sha256 = 'ZZ';
        },
      ],
      [
        'an upper-case hash',
        (value) => {
          value._prepared.content_sha256 = value._prepared.content_sha256.toUpperCase();
        },
      ],
      [
        'an unknown top-level key',
        (value) => {
          value.owner = 'me';
        },
      ],
      [
        'a marker that is a string',
        (value) => {
          value._prepared = 'yes';
        },
      ],
    ])('refuses %s', (_label, edit) => {
      const value = preparedValue();
      edit(value);
      catchSchemaError(() => verifyPreparedSchema(value, { appId: 'olam' }), 'invalid_schema');
    });

    it('names the marker field at fault', () => {
      const value = preparedValue();
      value._prepared.content_sha256 = 'ZZ';
      delete value._prepared.cli_version;
      const error = catchSchemaError(() => verifyPreparedSchema(value), 'invalid_schema');
      expect(error.issues).toEqual([
        '_prepared.cli_version: is required',
        '_prepared.content_sha256: must be a lowercase hex SHA-256',
      ]);
    });

    it('explains a missing marker', () => {
      const value = preparedValue();
      delete value._prepared;
      expect(catchSchemaError(() => verifyPreparedSchema(value), 'invalid_schema').message).toMatch(
        /pylon schema prepare/,
      );
    });

    it('refuses text that is not JSON, and values that are not objects', () => {
      catchSchemaError(() => verifyPreparedSchema('{"_prepared": '), 'invalid_schema');
      catchSchemaError(() => verifyPreparedSchema('version_tag: "1"'), 'invalid_schema');
      catchSchemaError(() => verifyPreparedSchema(null), 'invalid_schema');
      catchSchemaError(() => verifyPreparedSchema([preparedValue()]), 'invalid_schema');
    });

    it.each<[string, (value: Json) => void]>([
      ['an undeclared capability', (value) => value.archetypes[1].capabilities.push('olam:world.delete')],
      [
        'a dangling inherits',
        (value) => {
          value.archetypes[0].inherits = ['olam:admin'];
        },
      ],
      [
        'a cycle',
        (value) => {
          value.archetypes[1].inherits = ['olam:editor'];
        },
      ],
      ['a duplicate capability', (value) => value.capabilities.push({ name: 'olam:world.read' })],
    ])('refuses %s even when the forger recomputed the hash', (_label, edit) => {
      catchSchemaError(() => verifyPreparedSchema(forge(edit), { appId: 'olam' }), 'invalid_schema');
    });

    it('names the cycle in a forged file by its bare names', () => {
      const forged = forge((value) => {
        value.archetypes[1].inherits = ['olam:editor'];
      });
      expect(() => verifyPreparedSchema(forged, { appId: 'olam' })).toThrow(/editor -> viewer -> editor/);
    });

    it.each<[string, (value: Json) => void]>([
      ['unsorted capabilities', (value) => value.capabilities.reverse()],
      ['unsorted archetypes', (value) => value.archetypes.reverse()],
    ])('refuses a body not in prepared form: %s', (_label, edit) => {
      const error = catchSchemaError(
        () => verifyPreparedSchema(forge(edit), { appId: 'olam' }),
        'invalid_schema',
      );
      expect(error.message).toMatch(/prepared form/);
    });
  });

  it('recomputes content_sha256 over the canonical body', () => {
    const { _prepared: marker, ...body } = preparedValue();
    expect(hashSchemaContent(body)).toBe(marker.content_sha256);
    expect(canonicalJSON(preparedValue())).toBe(preparedText);
  });
});
