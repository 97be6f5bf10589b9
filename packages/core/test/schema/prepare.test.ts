import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJSON } from '../../src/schema/canonical-json.js';
import { prepareSchema } from '../../src/schema/prepare.js';
import { catchSchemaError } from './expect-schema-error.js';

const options = { cliVersion: '1.2.3' };
const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

const source = `
version_tag: "2"
capabilities:
  - name: b.write
  - name: a.read
    description: ""
archetypes:
  - name: zed
    capabilities: [b.write, a.read]
    inherits: []
  - name: alpha
    capabilities: []
    inherits: [zed]
    description: "Cafe\u0301"
`;

describe('prepareSchema', () => {
  const prepared = JSON.parse(prepareSchema(source, 'app-1', options));

  it('namespaces every name and reference, and sorts everything', () => {
    expect(prepared).toEqual({
      _prepared: expect.any(Object),
      version_tag: '2',
      capabilities: [{ name: 'app-1:a.read', description: '' }, { name: 'app-1:b.write' }],
      archetypes: [
        { name: 'app-1:alpha', capabilities: [], inherits: ['app-1:zed'], description: 'Café' },
        { name: 'app-1:zed', capabilities: ['app-1:a.read', 'app-1:b.write'], inherits: [] },
      ],
    });
  });

  it('keeps a written empty inherits, as the public pylon-cli does, an empty description and an empty capability list', () => {
    expect(prepared.archetypes[1].inherits).toEqual([]);
    const absent = JSON.parse(prepareSchema(source.replace('    inherits: []\n', ''), 'app-1', options));
    expect('inherits' in absent.archetypes[1]).toBe(false);
    expect(prepared.capabilities[0].description).toBe('');
    expect(prepared.archetypes[0].capabilities).toEqual([]);
  });

  it('stamps exactly cli_version, source_sha256 and content_sha256', () => {
    const { _prepared: marker, ...body } = prepared;
    expect(marker).toEqual({
      cli_version: '1.2.3',
      source_sha256: sha256(new TextEncoder().encode(source)),
      content_sha256: sha256(canonicalJSON(body)),
    });
  });

  it('hashes the raw bytes, BOM included, while still reading the file', () => {
    const bytes = new TextEncoder().encode(`\uFEFF${source}`);
    const withBOM = JSON.parse(prepareSchema(bytes, 'app-1', options));
    expect(withBOM._prepared.source_sha256).toBe(sha256(bytes));
    expect(withBOM._prepared.content_sha256).toBe(prepared._prepared.content_sha256);
  });

  it('is deterministic', () => {
    expect(prepareSchema(source, 'app-1', options)).toBe(prepareSchema(source, 'app-1', options));
  });

  it('refuses an invalid schema', () => {
    catchSchemaError(
      () =>
        prepareSchema(
          'version_tag: "1"\ncapabilities: []\narchetypes: [{name: a, capabilities: [x]}]',
          'app',
          options,
        ),
      'invalid_schema',
    );
  });

  it('refuses bytes that are not UTF-8', () => {
    const error = catchSchemaError(
      () => prepareSchema(new Uint8Array([0x76, 0xff, 0xfe]), 'app', options),
      'invalid_schema',
    );
    expect(error.message).toMatch(/UTF-8/);
  });

  it.each(['', 'App', 'a:b', 'a b', '-a'])('refuses the app id %j', (appId) => {
    catchSchemaError(() => prepareSchema(source, appId, options), 'invalid_app_id');
  });

  it('refuses an empty cliVersion', () => {
    expect(() => prepareSchema(source, 'app', { cliVersion: '' })).toThrow(TypeError);
  });
});
