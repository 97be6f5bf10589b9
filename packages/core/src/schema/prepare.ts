import { sha256Hex } from '../sha256.js';
import { canonicalJSON } from './canonical-json.js';
import { sortByName, sortNames } from './compare.js';
import { assertAppId, namespaceName } from './namespace.js';
import { parseSchemaSource } from './parse-source.js';
import { SchemaError } from './schema-error.js';
import type { BareSchema, PreparedMarker, SchemaArchetype, SchemaCapability } from './types.js';
import { validateSchema } from './validate.js';

export interface PrepareOptions {
  /** Stamped into `_prepared.cli_version`; the CLI passes its own version (or the test pin). */
  cliVersion: string;
}

/**
 * `pylon schema prepare` without the I/O: validates a bare source (YAML or JSON), namespaces every
 * name and reference with `<appId>:`, sorts, stamps `_prepared`, and returns the canonical JSON
 * text to write. Byte-compatible with pylon-cli 0.3.1 (conformance/schema-prepare).
 */
export function prepareSchema(source: Uint8Array | string, appId: string, options: PrepareOptions): string {
  assertAppId(appId);
  if (options.cliVersion === '') throw new TypeError('prepareSchema: cliVersion must not be empty');
  const bytes = typeof source === 'string' ? new TextEncoder().encode(source) : source;
  const bare = validateSchema(parseSchemaSource(decodeUTF8(bytes)));
  const body = buildPreparedBody(bare, appId);
  const marker: PreparedMarker = {
    cli_version: options.cliVersion,
    source_sha256: sha256Hex(bytes),
    content_sha256: hashSchemaContent(body),
  };
  return canonicalJSON({ ...body, _prepared: marker });
}

/**
 * The prepared body of a valid bare schema: names prefixed, capabilities and archetypes sorted by
 * name, each archetype's lists sorted. An absent `inherits` or `description` stays absent and a
 * written one is kept, even an empty `inherits: []`, as the public pylon-cli writes it: a file it
 * prepared must verify here byte for byte.
 */
export function buildPreparedBody(bare: BareSchema, appId: string): BareSchema {
  const prefix = (name: string): string => namespaceName(appId, name);
  const capabilities = bare.capabilities.map((capability): SchemaCapability => {
    const prepared: SchemaCapability = { name: prefix(capability.name) };
    if (capability.description !== undefined) prepared.description = capability.description;
    return prepared;
  });
  const archetypes = bare.archetypes.map((archetype): SchemaArchetype => {
    const prepared: SchemaArchetype = {
      name: prefix(archetype.name),
      capabilities: sortNames(archetype.capabilities.map(prefix)),
    };
    if (archetype.inherits !== undefined) prepared.inherits = sortNames(archetype.inherits.map(prefix));
    if (archetype.description !== undefined) prepared.description = archetype.description;
    return prepared;
  });
  return {
    version_tag: bare.version_tag,
    capabilities: sortByName(capabilities),
    archetypes: sortByName(archetypes),
  };
}

/** `content_sha256`: SHA-256 of the canonical JSON of the body, the `_prepared` marker excluded. */
export function hashSchemaContent(body: BareSchema): string {
  const { _prepared: _marker, ...rest } = body as BareSchema & { _prepared?: unknown };
  return sha256Hex(canonicalJSON(rest));
}

// `fatal` so a Latin-1 or binary file is refused instead of hashed as something the author never wrote.
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUTF8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SchemaError('invalid_schema', 'schema source is not valid UTF-8');
  }
}
