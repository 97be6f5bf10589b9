import { describe, expect, it } from 'vitest';
import { isSlug, SLUG_BODY, SLUG_HTML_PATTERN, SLUG_PATTERN } from '../src/index.js';

describe('isSlug', () => {
  it('accepts 2–64 lowercase letters, digits and hyphens that start and end with a letter or digit', () => {
    for (const slug of ['ab', 'a1', '0x', 'acme', 'my-app', 'a--b', `a${'b'.repeat(62)}c`]) {
      expect(isSlug(slug), slug).toBe(true);
    }
  });

  it('refuses the empty, the short, the long, upper case, edge hyphens, other characters and non-strings', () => {
    const refused: unknown[] = [
      '',
      'a',
      `a${'b'.repeat(63)}c`,
      'Acme',
      '-acme',
      'acme-',
      'ac_me',
      'ac.me',
      'ac me',
      'acmé',
      'acme\n',
      '../acme',
      7,
      null,
      undefined,
      ['acme'],
    ];
    for (const value of refused) expect(isSlug(value), String(value)).toBe(false);
  });

  it('is one pattern: anchored for tests, bare for embedding', () => {
    expect(SLUG_PATTERN.source).toBe(`^${SLUG_BODY}$`);
    expect(new RegExp(`^/o/(${SLUG_BODY})/token$`).exec('/o/acme/token')?.[1]).toBe('acme');
  });

  it('has an HTML pattern attribute a browser can compile (the v flag), matching what isSlug does', () => {
    // The bare body is not one: a browser would drop it and check nothing.
    expect(() => new RegExp(`^(?:${SLUG_BODY})$`, 'v')).toThrow(SyntaxError);
    const compiled = new RegExp(`^(?:${SLUG_HTML_PATTERN})$`, 'v');
    for (const value of [
      'ab',
      'my-app',
      'a--b',
      `a${'b'.repeat(62)}c`,
      'a',
      '-acme',
      'acme-',
      'Acme',
      'ac_me',
      'a\\-b',
    ]) {
      expect(compiled.test(value), value).toBe(isSlug(value));
    }
  });
});
