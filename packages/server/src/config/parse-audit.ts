import type { Env } from './config-error.js';
import { integer, read } from './parse-values.js';

/**
 * PYLON_AUDIT_RETENTION_DAYS: audit entries older than this many days are pruned, a whole prefix
 * of each org's chain at a time (audit/retention.ts). Unset keeps every entry.
 */
export function parseAuditRetention(env: Env): number | null {
  if (read(env, 'PYLON_AUDIT_RETENTION_DAYS') === undefined) return null;
  return integer(env, 'PYLON_AUDIT_RETENTION_DAYS', 0, 1, 36_500);
}
