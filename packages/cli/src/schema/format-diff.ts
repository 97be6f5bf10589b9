import { isRecord } from '../net/http-client.js';

/** One change of a schema diff as a line for people, e.g. `archetype_removed example:viewer`. */
export function formatChange(change: unknown): string {
  if (!isRecord(change)) return JSON.stringify(change);
  const subject = [change['archetype'], change['name']].find((value) => typeof value === 'string') ?? '';
  const listed = [change['caps'], change['inherits']].find(Array.isArray) as unknown[] | undefined;
  const tail = listed && listed.length > 0 ? `: ${listed.join(', ')}` : '';
  return `${String(change['type'] ?? 'change')} ${String(subject)}${tail}`;
}

export function formatChanges(changes: unknown): string[] {
  if (!Array.isArray(changes) || changes.length === 0) return ['  (no changes)'];
  return changes.map((change) => `  - ${formatChange(change)}`);
}
