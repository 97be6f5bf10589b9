/** One capability as a schema declares it (the pylon-cli schema format). */
export interface SchemaCapability {
  name: string;
  description?: string;
}

/** A named bundle of capabilities; `inherits` pulls in every capability of the named archetypes. */
export interface SchemaArchetype {
  name: string;
  capabilities: string[];
  inherits?: string[];
  description?: string;
}

/** The source an app author writes: bare names (no `<appId>:`), in any order. */
export interface BareSchema {
  version_tag: string;
  capabilities: SchemaCapability[];
  archetypes: SchemaArchetype[];
}

/** Provenance stamped by `prepareSchema`; exactly these three fields, all strings. */
export interface PreparedMarker {
  cli_version: string;
  /** SHA-256 (hex) of the raw source bytes, so a committed file can be checked against its source. */
  source_sha256: string;
  /** SHA-256 (hex) of the canonical JSON of the body without `_prepared`: detects hand edits. */
  content_sha256: string;
}

/** The pushed form: the same shape as the source, every name `<appId>:`-prefixed and sorted. */
export interface PreparedSchema extends BareSchema {
  _prepared: PreparedMarker;
}

/**
 * What diffing and expansion read: any schema, bare or prepared. Readonly so callers can pass
 * frozen or shared values; names are compared as given, so both sides must use the same form.
 */
export interface SchemaGraph {
  readonly capabilities: readonly Readonly<SchemaCapability>[];
  readonly archetypes: readonly SchemaArchetypeView[];
}

export interface SchemaArchetypeView {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly inherits?: readonly string[] | undefined;
  readonly description?: string | undefined;
}
