import { assertAppId, stripNamespace } from './namespace.js';
import { buildPreparedBody, hashSchemaContent } from './prepare.js';
import { SchemaError } from './schema-error.js';
import { narrowPreparedSchema } from './shape.js';
import type { PreparedSchema } from './types.js';
import { listSchemaProblems } from './validate.js';

export interface VerifyOptions {
  /** When given, every name must be `<appId>:…`; otherwise one namespace shared by all names. */
  appId?: string;
}

/**
 * Checks a prepared schema before it is trusted (server push, CLI push/diff). A string is parsed
 * as JSON; anything else is taken as the already-parsed value. In order:
 *   1. shape: `_prepared` present with exactly its three string fields, no other `_*` key, no
 *      unknown key anywhere → `invalid_schema`;
 *   2. `content_sha256` recomputed over the body → `tampered` when it differs (a hand edit);
 *   3. every name and reference namespaced → `namespace_violation`;
 *   4. the bare equivalent is a valid schema and the body is exactly what prepare would write for
 *      it (names and lists sorted) → `invalid_schema`.
 * The hash is not a signature: it catches accidents, and step 4 still refuses a crafted file
 * whose hash was recomputed. Returns the narrowed schema.
 */
export function verifyPreparedSchema(input: unknown, options: VerifyOptions = {}): PreparedSchema {
  if (options.appId !== undefined) assertAppId(options.appId);
  const prepared = narrowPreparedSchema(typeof input === 'string' ? parseJSON(input) : input);
  const { _prepared: marker, ...body } = prepared;

  if (hashSchemaContent(body) !== marker.content_sha256) {
    throw new SchemaError(
      'tampered',
      'prepared schema was modified after `pylon schema prepare` (content_sha256 does not match); prepare it again from its source',
    );
  }

  const bare = stripNamespace(body, options.appId);
  const problems = listSchemaProblems(bare);
  if (problems.length > 0) throw new SchemaError('invalid_schema', 'invalid prepared schema', problems);

  const appId = options.appId ?? inferAppId(body.capabilities, body.archetypes);
  if (appId !== undefined && hashSchemaContent(buildPreparedBody(bare, appId)) !== marker.content_sha256) {
    throw new SchemaError(
      'invalid_schema',
      'prepared schema is not in prepared form (names and lists sorted); prepare it again from its source',
    );
  }
  return prepared;
}

function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SchemaError('invalid_schema', 'prepared schema is not valid JSON', [reason]);
  }
}

// Only reached after stripNamespace succeeded, so the first name's prefix is everyone's.
function inferAppId(
  capabilities: readonly { name: string }[],
  archetypes: readonly { name: string }[],
): string | undefined {
  const first = capabilities[0]?.name ?? archetypes[0]?.name;
  return first?.slice(0, first.indexOf(':'));
}
