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

  /** Count one event against the rule and say whether it is still within the limit. */
  async hit(rule: RateLimitRule, subject: string, now: number): Promise<RateLimitDecision> {
    const { key, windowMs, windowStart } = window(rule, subject, now);
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
    return {
      allowed: Number(row.count) <= rule.limit,
      retryAfterSeconds: retryAfter(windowStart, windowMs, now),
    };
  }

  /**
   * Whether the limit is already used up in the current window, without counting anything. For
   * failure-counted rules: a locked subject must be refused before the attempt is evaluated, or a
   * correct guess would still get through the lock.
   */
  async check(rule: RateLimitRule, subject: string, now: number): Promise<RateLimitDecision> {
    const { key, windowMs, windowStart } = window(rule, subject, now);
    const row = await this.db
      .selectFrom('rate_limits')
      .select('count')
      .where('key', '=', key)
      .where('window_start', '=', windowStart)
      .executeTakeFirst();
    return {
      allowed: Number(row?.count ?? 0) < rule.limit,
      retryAfterSeconds: retryAfter(windowStart, windowMs, now),
    };
  }
}

function window(rule: RateLimitRule, subject: string, now: number) {
  const windowMs = rule.windowSeconds * 1000;
  return { key: `${rule.name}:${subject}`, windowMs, windowStart: now - (now % windowMs) };
}

function retryAfter(windowStart: number, windowMs: number, now: number): number {
  return Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000));
}
