import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The repository must stand on its own: a fresh clone has no design documents beside it, so a
// path out of the repository fails with ENOENT and a citation of an unpublished document points
// nowhere. Cite docs/ pages, RFC sections or the public contracts by name instead.
// The needles are assembled from pieces so that this file does not match itself.
const FORBIDDEN: readonly string[] = [
  ['..', 'shared'].join('/'),
  ['CONTRACT', '§'].join(' '),
  ['CONTRACT', 'md'].join('.'),
  ['DESIGN', 'md'].join('.'),
  ['STYLE', 'md'].join('.'),
  ['DESIGN', '"'].join(' '),
  ['STYLE', 'habit'].join(' '),
];

/** Historical entries may name what they name; everything else is checked. */
const EXEMPT = new Set(['CHANGELOG.md']);

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Tracked files plus new ones not yet committed (so a citation is caught before the commit). */
function repositoryFiles(): string[] {
  const listing = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  return [...new Set(listing.split('\0'))]
    .filter((path) => path !== '' && !EXEMPT.has(path) && !path.split('/').includes('node_modules'))
    .filter((path) => existsSync(join(root, path)))
    .sort();
}

/** `line:needle` for every forbidden string in a text. */
function findCitations(text: string): string[] {
  const hits: string[] = [];
  text.split('\n').forEach((line, index) => {
    for (const needle of FORBIDDEN) if (line.includes(needle)) hits.push(`${index + 1}:${needle}`);
  });
  return hits;
}

describe('repository hygiene', () => {
  const files = repositoryFiles();

  it('walks the whole repository, this file and the docs included', () => {
    expect(files).toContain('packages/core/test/repo-hygiene.test.ts');
    expect(files).toContain('docs/API.md');
    expect(files).toContain('packages/core/test/fixtures/schema-prepare/reference.prepared.json');
    expect(files).not.toContain('CHANGELOG.md');
    expect(files.length).toBeGreaterThan(100);
  });

  it('the detector finds each forbidden string, and not its public look-alikes', () => {
    for (const needle of FORBIDDEN)
      expect(findCitations(`ok\n  // see ${needle} 3\n`)).toEqual([`2:${needle}`]);
    expect(findCitations('the pylon-cli RBAC contract; RFC 8628 §3.5; docs/API.md "Identity"')).toEqual([]);
  });

  it('no file reads outside the repository or cites a document that is not in it', () => {
    const offenders = files.flatMap((path) =>
      findCitations(readFileSync(join(root, path), 'utf8')).map((hit) => `${path}:${hit}`),
    );
    expect(offenders).toEqual([]);
  });
});
