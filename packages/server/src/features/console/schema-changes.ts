import type { SchemaChange } from '@pylon/core';
import { html, type SafeHTML } from '../../pages/html.js';

const names = (list: readonly string[]) =>
  list.map((name, i) => html`${i === 0 ? '' : ', '}<code>${name}</code>`);

/**
 * A schema change (core's `diffSchemas`) as a sentence a person approving it understands, in
 * place of its machine type (`archetype_caps_removed`): what goes, what comes, and what approving
 * does to the grants that hold it.
 */
export function describeSchemaChange(change: SchemaChange): SafeHTML {
  switch (change.type) {
    case 'capability_removed':
      return html`Capability <code>${change.name}</code> is removed; no one holds it after approval.`;
    case 'capability_added':
      return html`Capability <code>${change.name}</code> is new.`;
    case 'archetype_removed':
      return html`Archetype <code>${change.archetype}</code> is removed; its grants are revoked.`;
    case 'archetype_added':
      return html`Archetype <code>${change.archetype}</code> is new.`;
    case 'archetype_caps_removed':
      return html`Archetype <code>${change.archetype}</code> loses ${names(change.caps)}; people granted it lose them too.`;
    case 'archetype_caps_added':
      return html`Archetype <code>${change.archetype}</code> gains ${names(change.caps)}.`;
    case 'inherits_removed':
      return html`Archetype <code>${change.archetype}</code> no longer inherits from ${names(change.inherits)}.`;
    case 'inherits_added':
      return html`Archetype <code>${change.archetype}</code> now inherits from ${names(change.inherits)}.`;
    case 'description_changed':
      return 'name' in change
        ? html`The description of capability <code>${change.name}</code> changed.`
        : html`The description of archetype <code>${change.archetype}</code> changed.`;
  }
}
