import { SchemaError } from './schema-error.js';
import type { BareSchema } from './types.js';
import { BARE_NAME_PATTERN } from './validate.js';

/**
 * App ids become the namespace prefix, so they obey the bare-name rule (which every app slug
 * satisfies); above all they contain no `:`, which keeps `<appId>:<name>` splittable.
 */
export function assertAppId(appId: string): void {
  if (!BARE_NAME_PATTERN.test(appId)) {
    throw new SchemaError(
      'invalid_app_id',
      `app id ${JSON.stringify(appId)} must match ${BARE_NAME_PATTERN.source}`,
    );
  }
}

export function namespaceName(appId: string, bareName: string): string {
  return `${appId}:${bareName}`;
}

/** Splits `<namespace>:<bare>`; undefined unless both halves are valid bare names. */
export function splitNamespacedName(name: string): { namespace: string; bare: string } | undefined {
  const colon = name.indexOf(':');
  if (colon < 0) return undefined;
  const namespace = name.slice(0, colon);
  const bare = name.slice(colon + 1);
  if (!BARE_NAME_PATTERN.test(namespace) || !BARE_NAME_PATTERN.test(bare)) return undefined;
  return { namespace, bare };
}

/**
 * The bare equivalent of a namespaced schema: every name and reference with its `<appId>:`
 * removed. Without an appId the namespace of the first name is expected everywhere, so a file
 * mixing two apps is still refused. Throws `namespace_violation` listing the offending names.
 * Order and every other field are kept as given.
 */
export function stripNamespace(schema: BareSchema, appId?: string): BareSchema {
  let expected = appId;
  const offenders = new Set<string>();
  const strip = (name: string): string => {
    const parts = splitNamespacedName(name);
    expected ??= parts?.namespace;
    if (parts === undefined || parts.namespace !== expected) {
      offenders.add(name);
      return name;
    }
    return parts.bare;
  };

  const bare: BareSchema = {
    version_tag: schema.version_tag,
    capabilities: schema.capabilities.map((capability) => ({ ...capability, name: strip(capability.name) })),
    archetypes: schema.archetypes.map((archetype) => {
      const stripped = {
        ...archetype,
        name: strip(archetype.name),
        capabilities: archetype.capabilities.map(strip),
      };
      if (archetype.inherits !== undefined) stripped.inherits = archetype.inherits.map(strip);
      return stripped;
    }),
  };
  if (offenders.size > 0) {
    const wanted = expected === undefined ? '<appId>:<name>' : `${expected}:<name>`;
    throw new SchemaError(
      'namespace_violation',
      `every name must be namespaced ${wanted}, and these are not`,
      [...offenders].map((name) => JSON.stringify(name)),
    );
  }
  return bare;
}
