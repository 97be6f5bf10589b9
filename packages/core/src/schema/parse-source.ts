import { isScalar, parseDocument, visit } from 'yaml';
import { SchemaError } from './schema-error.js';
import { narrowBareSchema } from './shape.js';
import type { BareSchema } from './types.js';

/**
 * Reads a schema source written in YAML or JSON (JSON is YAML 1.2, so one parser serves both) and
 * narrows it to a BareSchema. Only the shape is checked here; `validateSchema` checks names and
 * references. Duplicate keys are refused (JSON.parse would keep the last one silently), and the
 * YAML 1.2 core schema keeps `version_tag: 2024-01-01` a string instead of a date.
 */
export function parseSchemaSource(text: string): BareSchema {
  return narrowBareSchema(parseYAML(text));
}

// Alias expansion is bounded so a "billion laughs" file fails instead of exhausting memory.
const MAX_ALIAS_COUNT = 100;

function parseYAML(text: string): unknown {
  const document = parseDocument(text, { uniqueKeys: true, schema: 'core', prettyErrors: true });
  if (document.errors.length > 0) {
    throw new SchemaError(
      'invalid_schema',
      'schema source is not valid YAML or JSON',
      document.errors.map((error) => error.message.trim()),
    );
  }
  // A mapping key that is not a plain scalar (`? [a, b]: c`, `!!binary …: c`, `*alias: c`) has no
  // JSON form: the yaml library would stringify it and print a process warning carrying the
  // author's text. Refused.
  let complexKey = false;
  visit(document, {
    Pair(_, pair) {
      const key = pair.key;
      const plain = isScalar(key) && (key.value === null || typeof key.value !== 'object');
      if (!plain) {
        complexKey = true;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (complexKey)
    throw new SchemaError('invalid_schema', 'schema source has a mapping key that is not a string');
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SchemaError('invalid_schema', 'schema source could not be read', [reason]);
  }
  if (value === null || value === undefined)
    throw new SchemaError('invalid_schema', 'schema source is empty');
  return value;
}
