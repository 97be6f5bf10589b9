import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The pylon-cli reference pair is vendored byte for byte (provenance: fixtures/README.md). Tests
// across the repository compare against it, so an edit, a reformat or a CRLF checkout would make
// them prove the wrong thing; pinning the hashes makes any such change fail here, by name.
const fixtures = new URL('./fixtures/', import.meta.url);
const pair = new URL('./fixtures/schema-prepare/', import.meta.url);

const PINNED: Record<string, string> = {
  'README.md': '40865a43ecdd52a3ebb66a8f0818cbac9d013b417b142e3e958fbdc14180192c',
  'reference.bare.yaml': '81a6125cd6a0945586ee09d2fbc286e08dce3272879e7d797f959a7718e56498',
  'reference.prepared.json': 'df93630f9c9654b909bfb85fd0518df7e3d0308bd98c5fb938bda1d6c7f97604',
};

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('vendored schema-prepare reference pair', () => {
  it('holds exactly the three upstream files', () => {
    expect(readdirSync(pair).sort()).toEqual(Object.keys(PINNED).sort());
  });

  for (const [name, hash] of Object.entries(PINNED)) {
    it(`${name} is byte-identical to the upstream copy`, () => {
      expect(sha256(readFileSync(new URL(name, pair)))).toBe(hash);
    });
  }

  it('the provenance README states the same hashes', () => {
    const readme = readFileSync(new URL('README.md', fixtures), 'utf8');
    const rows = readme.matchAll(/^\| `schema-prepare\/([^`]+)` \| `([0-9a-f]{64})` \|$/gm);
    const stated = Object.fromEntries([...rows].map((m) => [m[1], m[2]]));
    expect(stated).toEqual(PINNED);
  });

  it('the bare file hash is the one the prepared form records as its source', () => {
    const prepared = JSON.parse(readFileSync(new URL('reference.prepared.json', pair), 'utf8'));
    expect(prepared._prepared.source_sha256).toBe(PINNED['reference.bare.yaml']);
  });
});
