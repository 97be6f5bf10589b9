import * as z from 'zod';
import { SchemaError } from './schema-error.js';
import type { BareSchema, PreparedSchema } from './types.js';

// Strict objects everywhere: an unknown key is far more often a typo (`inherit:`, `capabilites:`)
// that would silently drop grants than a deliberate extension.
const capabilityShape = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
});

const archetypeShape = z.strictObject({
  name: z.string(),
  capabilities: z.array(z.string()),
  inherits: z.array(z.string()).optional(),
  description: z.string().optional(),
});

const bareShape = z.strictObject({
  version_tag: z.string().min(1, { error: 'must not be empty' }),
  capabilities: z.array(capabilityShape),
  archetypes: z.array(archetypeShape),
});

const hexSHA256 = () => z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be a lowercase hex SHA-256' });

const markerShape = z.strictObject({
  cli_version: z.string().min(1, { error: 'must not be empty' }),
  source_sha256: hexSHA256(),
  content_sha256: hexSHA256(),
});

const preparedShape = bareShape.extend({ _prepared: markerShape });

/** The marker key; every other top-level key starting with `_` is reserved and refused (as in pylon-cli). */
export const PREPARED_MARKER_KEY = '_prepared';

/** Narrows parsed source to a BareSchema; shape only, names and references are checked later. */
export function narrowBareSchema(value: unknown): BareSchema {
  const result = bareShape.safeParse(value, { reportInput: true });
  if (!result.success)
    throw new SchemaError('invalid_schema', 'invalid schema', describeIssues(result.error.issues));
  return result.data;
}

/** Narrows a parsed prepared file, refusing a missing marker and any other reserved `_*` key. */
export function narrowPreparedSchema(value: unknown): PreparedSchema {
  if (isRecord(value)) {
    const reserved = Object.keys(value).filter((key) => key.startsWith('_') && key !== PREPARED_MARKER_KEY);
    if (reserved.length > 0) {
      throw new SchemaError(
        'invalid_schema',
        'invalid prepared schema',
        reserved.map(
          (key) => `reserved key ${JSON.stringify(key)} is not allowed (only ${PREPARED_MARKER_KEY})`,
        ),
      );
    }
    if (!(PREPARED_MARKER_KEY in value)) {
      throw new SchemaError(
        'invalid_schema',
        `not a prepared schema: the ${PREPARED_MARKER_KEY} marker is missing (run \`pylon schema prepare\`)`,
      );
    }
  }
  const result = preparedShape.safeParse(value, { reportInput: true });
  if (!result.success) {
    throw new SchemaError('invalid_schema', 'invalid prepared schema', describeIssues(result.error.issues));
  }
  return result.data;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Zod's issues as author-facing lines: `archetypes[1].inherits: must be a list, not a string`. */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const where = formatPath(issue.path);
    const prefix = where === '' ? '' : `${where}: `;
    switch (issue.code) {
      case 'invalid_type':
        return issue.input === undefined
          ? `${prefix}is required`
          : `${prefix}must be ${describeExpected(issue.expected)}, not ${describeReceived(issue.input)}${quoteHint(issue)}`;
      case 'unrecognized_keys':
        return `${prefix}unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
      default:
        return `${prefix}${issue.message}`;
    }
  });
}

// YAML reads `version_tag: 1.0` as a number; saying how to fix it saves a round trip.
function quoteHint(issue: z.core.$ZodIssueInvalidType): string {
  const isScalar = typeof issue.input === 'number' || typeof issue.input === 'boolean';
  return issue.expected === 'string' && isScalar ? ' (quote it in YAML)' : '';
}

function describeExpected(expected: string): string {
  if (expected === 'array') return 'a list';
  if (expected === 'object') return 'a mapping';
  return `a ${expected}`;
}

function describeReceived(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `a ${typeof input}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}
