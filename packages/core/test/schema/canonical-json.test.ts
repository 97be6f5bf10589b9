import { describe, expect, it } from 'vitest';
import { canonicalJSON } from '../../src/schema/canonical-json.js';

describe('canonicalJSON', () => {
  it('sorts keys at every depth and keeps array order', () => {
    const text = canonicalJSON({ b: 1, a: { d: [3, 1, 2], c: null } });
    expect(text).toBe(
      '{\n  "a": {\n    "c": null,\n    "d": [\n      3,\n      1,\n      2\n    ]\n  },\n  "b": 1\n}\n',
    );
  });

  it('sorts by UTF-16 code units, not locale and not integer-keys-first', () => {
    const text = canonicalJSON({ b: 0, B: 0, _x: 0, '10': 0, '2': 0, é: 0, '\u{1F600}': 0, '\uFF5E': 0 });
    // Read the keys from the text: JSON.parse would hand them back integer-keys-first.
    const keys = [...text.matchAll(/^ {2}("(?:[^"\\]|\\.)*"):/gm)].map(
      (match) => JSON.parse(match[1]!) as string,
    );
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FF5E by code unit.
    expect(keys).toEqual(['10', '2', 'B', '_x', 'b', 'é', '\u{1F600}', '\uFF5E']);
  });

  it('NFC-normalises strings and keys', () => {
    const text = canonicalJSON({ 'Cafe\u0301': 'e\u0301te\u0301' });
    expect(text).toBe('{\n  "Café": "été"\n}\n');
    expect(text).toBe(canonicalJSON({ Café: 'été' }));
  });

  it('refuses two keys that are equal after NFC', () => {
    expect(() => canonicalJSON({ 'Cafe\u0301': 1, Café: 2 })).toThrow(TypeError);
  });

  it('ends with exactly one LF and uses no CR', () => {
    for (const value of [{}, [], 'x', 0, null, true, { a: [{}] }]) {
      const text = canonicalJSON(value);
      expect(text.endsWith('\n')).toBe(true);
      expect(text.endsWith('\n\n')).toBe(false);
      expect(text).not.toContain('\r');
    }
  });

  it('writes empty containers and scalars as JSON does', () => {
    expect(canonicalJSON({ a: [], b: {}, c: -0, d: 1.5e-7, e: false })).toBe(
      '{\n  "a": [],\n  "b": {},\n  "c": 0,\n  "d": 1.5e-7,\n  "e": false\n}\n',
    );
  });

  it('escapes strings as JSON does, including lone surrogates', () => {
    expect(canonicalJSON('"\\\n\u0001\uD800')).toBe('"\\"\\\\\\n\\u0001\\ud800"\n');
  });

  it('leaves out object properties whose value is undefined', () => {
    expect(canonicalJSON({ a: undefined, b: 1 })).toBe('{\n  "b": 1\n}\n');
  });

  it('refuses values JSON cannot carry', () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    const sparse: unknown[] = [];
    sparse[1] = 1;
    for (const bad of [
      undefined,
      [undefined],
      sparse,
      () => 1,
      1n,
      Number.NaN,
      Infinity,
      new Date(0),
      new Map(),
      circular,
    ]) {
      expect(() => canonicalJSON(bad)).toThrow(TypeError);
    }
  });

  it('accepts the same object twice when it is not circular', () => {
    const shared = { x: 1 };
    expect(canonicalJSON([shared, shared])).toBe('[\n  {\n    "x": 1\n  },\n  {\n    "x": 1\n  }\n]\n');
  });
});
