import { isDisplaySafe, isPlainDisplayName } from '../display-text.js';
import { formatCycle, orderArchetypesByInherits } from './inherits-graph.js';
import { SchemaError } from './schema-error.js';
import { narrowBareSchema } from './shape.js';
import type { BareSchema } from './types.js';

/**
 * Bare capability and archetype names, as pylon-cli accepts them. No `:`, which is what keeps
 * namespacing unambiguous.
 */
export const BARE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * Checks a bare schema fully: its shape (unknown keys refused), the version tag's characters,
 * every name against BARE_NAME_PATTERN, duplicates, references to undeclared capabilities or
 * archetypes, and inherits cycles. Throws one `invalid_schema` SchemaError listing every problem
 * found.
 */
export function validateSchema(bare: unknown): BareSchema {
  const schema = narrowBareSchema(bare);
  const problems = listSchemaProblems(schema);
  if (problems.length > 0) throw new SchemaError('invalid_schema', 'invalid schema', problems);
  return schema;
}

/** The semantic checks alone, for a schema whose shape is already known (prepared files reuse them). */
export function listSchemaProblems(schema: BareSchema): string[] {
  const problems: string[] = [];
  // The tag is shown in listings, the console and the audit log: a bidi override, a control
  // character or a line separator would make it display as another tag (or rewrite a terminal
  // line). Not echoed back.
  if (!isDisplaySafe(schema.version_tag) || !isPlainDisplayName(schema.version_tag)) {
    problems.push(
      'version_tag must not contain control, format or line-breaking characters, and must be in NFKC form',
    );
  }
  const capabilityNames = collectNames('capability', schema.capabilities, problems);
  const archetypeNames = collectNames('archetype', schema.archetypes, problems);

  for (const archetype of schema.archetypes) {
    const label = `archetype ${JSON.stringify(archetype.name)}`;
    for (const capability of findRepeats(archetype.capabilities)) {
      problems.push(`${label} lists capability ${JSON.stringify(capability)} more than once`);
    }
    for (const capability of new Set(archetype.capabilities)) {
      if (!capabilityNames.has(capability)) {
        problems.push(`${label} lists undeclared capability ${JSON.stringify(capability)}`);
      }
    }
    const inherits = archetype.inherits ?? [];
    for (const parent of findRepeats(inherits)) {
      problems.push(`${label} inherits ${JSON.stringify(parent)} more than once`);
    }
    for (const parent of new Set(inherits)) {
      if (!archetypeNames.has(parent))
        problems.push(`${label} inherits undeclared archetype ${JSON.stringify(parent)}`);
    }
  }

  const ordering = orderArchetypesByInherits(schema.archetypes);
  if ('cycle' in ordering) problems.push(`inherits cycle: ${formatCycle(ordering.cycle)}`);
  return problems;
}

function collectNames(kind: string, items: readonly { name: string }[], problems: string[]): Set<string> {
  const names = new Set<string>();
  for (const { name } of items) {
    if (!BARE_NAME_PATTERN.test(name)) {
      problems.push(`${kind} name ${JSON.stringify(name)} must match ${BARE_NAME_PATTERN.source}`);
    }
    names.add(name);
  }
  for (const name of findRepeats(items.map((item) => item.name))) {
    problems.push(`duplicate ${kind} ${JSON.stringify(name)}`);
  }
  return names;
}

function findRepeats(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
  }
  return [...repeated];
}
