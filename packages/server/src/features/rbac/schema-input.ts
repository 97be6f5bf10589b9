import {
  type BareSchema,
  buildPreparedBody,
  capsClaimBytes,
  expandAllArchetypes,
  hashSchemaContent,
  MAX_CAPS_CLAIM_BYTES,
  MAX_TOKEN_LENGTH,
  type PreparedMarker,
  stripNamespace,
  validateSchema,
  verifyPreparedSchema,
} from '@pylon/core';
import { z } from 'zod';

/** A pushed schema as stored: namespaced body, plus the CLI's marker when the pusher sent one. */
export type StoredSchema = BareSchema & { _prepared?: PreparedMarker };

export interface VerifiedPush {
  schema: StoredSchema;
  /** SHA-256 of the canonical body without the marker: equal schemas compare equal, marked or not. */
  contentSHA256: string;
  /** archetype → its capabilities, inherits resolved. */
  expanded: Record<string, string[]>;
}

/** Thrown for a push that is not a schema; the route maps it to `invalid_schema`. */
export class SchemaInputError extends Error {
  override readonly name = 'SchemaInputError';
}

const MARKER_KEY = '_prepared';

// semver.org 2.0.0 §2, §9, §10: MAJOR.MINOR.PATCH, an optional pre-release and build metadata.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

// The body of a push without a marker, before its names are un-prefixed (core's bare shape takes
// bare names only). Strict like the CLI's, so a typo is refused rather than silently dropped.
const namespacedBody = z.strictObject({
  version_tag: z.string().min(1),
  capabilities: z.array(z.strictObject({ name: z.string(), description: z.string().optional() })),
  archetypes: z.array(
    z.strictObject({
      name: z.string(),
      capabilities: z.array(z.string()),
      inherits: z.array(z.string()).optional(),
      description: z.string().optional(),
    }),
  ),
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a pushed schema for `appId`. The `_prepared` marker is the CLI's guard against editing a
 * prepared file by hand, so it is optional on the wire (the SDK and plain HTTP clients push without
 * it); when present its shape is checked (semver `cli_version`, hex SHA-256 hashes) and the content
 * must match its hash. Any other `_*` key is refused either way. Names must carry the app's prefix
 * (core throws `namespace_violation` otherwise). A push without the marker is brought into prepared
 * form (sorted, empty `inherits` dropped) so that it diffs and hashes like a prepared one. Every
 * archetype must fit in a scoped token (requireMintableArchetypes).
 */
export function verifyPushedSchema(body: unknown, appId: string): VerifiedPush {
  const { schema, contentSHA256 } = readPushedSchema(body, appId);
  const expanded = Object.fromEntries(
    [...expandAllArchetypes(schema)].map(([name, caps]) => [name, [...caps]]),
  );
  requireMintableArchetypes(expanded);
  return { schema, contentSHA256, expanded };
}

function readPushedSchema(body: unknown, appId: string): Omit<VerifiedPush, 'expanded'> {
  if (isRecord(body) && MARKER_KEY in body) {
    const prepared = verifyPreparedSchema(body, { appId });
    if (!SEMVER.test(prepared._prepared.cli_version)) {
      throw new SchemaInputError('_prepared.cli_version must be a semantic version (semver.org 2.0.0)');
    }
    return { schema: prepared, contentSHA256: prepared._prepared.content_sha256 };
  }
  if (!isRecord(body)) throw new SchemaInputError('a schema is a JSON object');
  const reserved = Object.keys(body).filter((key) => key.startsWith('_'));
  if (reserved.length > 0) {
    throw new SchemaInputError(`reserved keys are not allowed (only ${MARKER_KEY}): ${reserved.join(', ')}`);
  }
  const parsed = namespacedBody.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new SchemaInputError(
      `invalid schema: ${first?.path.join('.') ?? ''} ${first?.message ?? ''}`.trim(),
    );
  }
  const bare = validateSchema(stripNamespace(parsed.data as BareSchema, appId));
  const schema = buildPreparedBody(bare, appId);
  return { schema, contentSHA256: hashSchemaContent(schema) };
}

/**
 * Every archetype must fit in a scoped token: its expansion is the token's `caps` claim, and a token
 * over the SDK's MAX_TOKEN_LENGTH would be minted only to be refused by every app. Named after the
 * largest archetype, so the author knows which one to split.
 */
function requireMintableArchetypes(expanded: Record<string, string[]>): void {
  let largest: { name: string; caps: number; bytes: number } | null = null;
  for (const [name, caps] of Object.entries(expanded)) {
    const bytes = capsClaimBytes(caps);
    if (largest === null || bytes > largest.bytes) largest = { name, caps: caps.length, bytes };
  }
  if (largest !== null && largest.bytes > MAX_CAPS_CLAIM_BYTES) {
    throw new SchemaInputError(
      `archetype ${largest.name} expands to ${largest.caps} capabilities, ${largest.bytes} bytes as a scoped token's caps claim; ` +
        `at most ${MAX_CAPS_CLAIM_BYTES} bytes fit in a token the SDK accepts (${MAX_TOKEN_LENGTH} characters)`,
    );
  }
}

/** The content hash of a stored version (its marker's, or computed for one pushed without). */
export function contentHashOf(schema: StoredSchema): string {
  return schema._prepared?.content_sha256 ?? hashSchemaContent(schema);
}
