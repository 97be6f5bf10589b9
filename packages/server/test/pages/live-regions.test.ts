import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../../src/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Every element of the pages' templates styled as an error or an outcome, with where it is. */
function messages(): Array<{ where: string; tag: string; kind: 'error' | 'ok' }> {
  const found: Array<{ where: string; tag: string; kind: 'error' | 'ok' }> = [];
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/<[a-z][a-z0-9]*\s[^>]*class="(error|ok)(?:\s[^"]*)?"[^>]*>/g)) {
      const line = text.slice(0, match.index).split('\n').length;
      found.push({
        where: `${file.slice(SRC.length)}:${line}`,
        tag: match[0],
        kind: match[1] as 'error' | 'ok',
      });
    }
  }
  return found;
}

// docs/PAGES.md, "Accessibility": errors are role="alert", outcomes role="status", so a screen
// reader announces a refusal or a result as the page shows it.
describe('the pages’ messages are live regions', () => {
  const found = messages();

  it('finds the templates’ error and outcome messages', () => {
    expect(found.filter((message) => message.kind === 'error').length).toBeGreaterThan(5);
    expect(found.filter((message) => message.kind === 'ok').length).toBeGreaterThan(5);
  });

  it('marks every error role="alert" and every outcome role="status"', () => {
    const unmarked = found
      .filter(({ tag, kind }) => !tag.includes(kind === 'error' ? 'role="alert"' : 'role="status"'))
      .map(({ where, tag }) => `${where} ${tag}`);
    expect(unmarked).toEqual([]);
  });
});
