import { parseDocument } from 'yaml';
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
