import { compareCodeUnits } from './compare.js';

const INDENT = '  ';

/**
 * The one byte form a schema is hashed and written in (conformance/schema-prepare README §4):
 * object keys sorted by UTF-16 code units at every depth, keys and strings NFC-normalised, arrays
 * in the order given, 2-space indent, LF, exactly one trailing newline.
 *
 * Only JSON values are accepted. An object property whose value is `undefined` is left out, as
 * `JSON.stringify` does, so optional fields can be written naturally; anything else JSON cannot
 * carry (`undefined` in an array, functions, bigints, non-finite numbers, class instances,
 * cycles, two keys equal after NFC) throws a TypeError rather than being silently changed.
 *
 * Written by hand instead of `JSON.stringify(sorted, null, 2)`: JavaScript objects enumerate
 * integer-like keys first whatever their insertion order, which would break the sort.
 */
export function canonicalJSON(value: unknown): string {
  return `${writeValue(value, '', new Set())}\n`;
}

function writeValue(value: unknown, indent: string, ancestors: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.normalize('NFC'));
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot represent the number ${value}`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`canonical JSON cannot represent a value of type ${typeof value}`);
  }
  if (ancestors.has(value)) throw new TypeError('canonical JSON cannot represent a circular structure');
  ancestors.add(value);
  try {
    return Array.isArray(value)
      ? writeArray(value, indent, ancestors)
      : writeObject(value as object, indent, ancestors);
  } finally {
    ancestors.delete(value);
  }
}

function writeArray(items: readonly unknown[], indent: string, ancestors: Set<object>): string {
  if (items.length === 0) return '[]';
  const inner = indent + INDENT;
  const lines: string[] = [];
  // An index loop, not map(): map skips holes, which must fail like any other undefined.
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === undefined)
      throw new TypeError(`canonical JSON cannot represent undefined (array index ${i})`);
    lines.push(inner + writeValue(item, inner, ancestors));
  }
  return `[\n${lines.join(',\n')}\n${indent}]`;
}

function writeObject(value: object, indent: string, ancestors: Set<object>): string {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new TypeError('canonical JSON accepts only plain objects and arrays');
  }
  const entries = new Map<string, unknown>();
  for (const [key, entry] of Object.entries(value)) {
    if (entry === undefined) continue;
    const normalKey = key.normalize('NFC');
    if (entries.has(normalKey)) {
      throw new TypeError(
        `canonical JSON: two keys are equal after NFC normalisation (${JSON.stringify(normalKey)})`,
      );
    }
    entries.set(normalKey, entry);
  }
  if (entries.size === 0) return '{}';
  const inner = indent + INDENT;
  const lines = [...entries.keys()]
    .sort(compareCodeUnits)
    .map((key) => `${inner}${JSON.stringify(key)}: ${writeValue(entries.get(key), inner, ancestors)}`);
  return `{\n${lines.join(',\n')}\n${indent}}`;
}
