const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--since`: milliseconds since the epoch (what the API takes), an ISO-8601 time, or a duration
 * back from now (`30s`, `15m`, `2h`, `7d`). Returns milliseconds, or undefined when unreadable.
 */
export function parseSince(value: string, now: number): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const duration = /^(\d+)([smhd])$/.exec(text);
  if (duration) return Math.max(0, now - Number(duration[1]) * UNIT_MS[duration[2]!]!);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? undefined : parsed;
}
