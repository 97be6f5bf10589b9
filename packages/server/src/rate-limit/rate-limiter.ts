import { sql } from 'kysely';
import type { DB } from '../storage/database.js';

export interface RateLimitRule {
  /** Counter namespace, e.g. `magic_send:email`. */
  name: string;
  limit: number;
  windowSeconds: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Seconds until the window resets (for `Retry-After`). */
  retryAfterSeconds: number;
}

/**
 * Fixed-window counters in the database, so limits hold across every Pylon process (CONTRACT §1).
 * One upsert per check: it starts a new window when the old one has passed, otherwise adds one,
 * and returns the count, atomically on both SQLite and PostgreSQL.
 */
export class RateLimiter {
  constructor(private readonly db: DB) {}

  async hit(rule: RateLimitRule, subject: string, now: number): Promise<RateLimitDecision> {
    const key = `${rule.name}:${subject}`;
    const windowMs = rule.windowSeconds * 1000;
    const windowStart = now - (now % windowMs);
    const row = await this.db
      .insertInto('rate_limits')
      .values({ key, window_start: windowStart, count: 1 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          count: sql`case when rate_limits.window_start = ${windowStart} then rate_limits.count + 1 else 1 end`,
          window_start: sql`${windowStart}`,
        }),
      )
      .returning(['count', 'window_start'])
      .executeTakeFirstOrThrow();
    const retryAfterSeconds = Math.max(1, Math.ceil((Number(row.window_start) + windowMs - now) / 1000));
    return { allowed: Number(row.count) <= rule.limit, retryAfterSeconds };
  }
}
