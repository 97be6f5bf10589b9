import { expandAllArchetypes, type SchemaGraph } from '@pylon/core';

/** The built-in app every org has: it governs Pylon itself (docs/API.md "RBAC service"). */
export const PYLON_APP_ID = 'pylon';

export const PYLON_CAPABILITIES = {
  appManage: 'pylon:app.manage',
  roleManage: 'pylon:role.manage',
  approveMigration: 'pylon:schema.approve-migration',
  auditRead: 'pylon:audit.read',
} as const;

export type PylonCapability = (typeof PYLON_CAPABILITIES)[keyof typeof PYLON_CAPABILITIES];

/** Archetypes from least to most privileged; `whoami` reports the strongest a person holds. */
export const PYLON_ARCHETYPES = ['pylon-user', 'pylon-auditor', 'pylon-admin'] as const;

export const PYLON_SCHEMA: SchemaGraph = Object.freeze({
  capabilities: Object.values(PYLON_CAPABILITIES).map((name) => ({ name })),
  archetypes: [
    { name: 'pylon-user', capabilities: [] },
    { name: 'pylon-auditor', capabilities: [PYLON_CAPABILITIES.auditRead] },
    {
      name: 'pylon-admin',
      capabilities: [
        PYLON_CAPABILITIES.appManage,
        PYLON_CAPABILITIES.roleManage,
        PYLON_CAPABILITIES.approveMigration,
      ],
      inherits: ['pylon-auditor'],
    },
  ],
});

/** Expanded once, at load. */
export const PYLON_EXPANSION: ReadonlyMap<string, readonly string[]> = expandAllArchetypes(PYLON_SCHEMA);
export const PYLON_CAPABILITY_SET: ReadonlySet<string> = new Set(Object.values(PYLON_CAPABILITIES));

/** The strongest pylon archetype among those held, or null. */
export function strongestPylonArchetype(held: Iterable<string>): string | null {
  const set = new Set(held);
  for (const name of [...PYLON_ARCHETYPES].reverse()) if (set.has(name)) return name;
  return null;
}
