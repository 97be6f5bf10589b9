import { sql } from 'kysely';
import type { DB } from '../storage/database.js';
import { prepareWrite } from '../storage/prepared-query.js';

export interface RateLimitRule {
  /** Counter namespace, e.g. `magic_send:email`. */
  name: string;
  limit: number;
  windowSeconds: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Seconds until the next hit would be allowed (for `Retry-After`); at least 1. */
  retryAfterSeconds: number;
}

/**
 * The GCRA schedule of a rule at `now`. Each allowed hit pushes the subject's theoretical arrival
 * time (TAT) one emission interval (window / limit) further; a hit is allowed while the TAT it
 * finds is at most `window - interval` ahead of now, i.e. while it would leave the TAT no more than
 * one window ahead. So `limit` hits may come at once, and then one per interval: no edge of a fixed
 * window lets a second burst straight through.
 */
export function gcraSchedule(rule: RateLimitRule, now: number) {
  const windowMs = rule.windowSeconds * 1000;
  const interval = windowMs / rule.limit;
  return { interval, horizon: now + windowMs - interval };
}

/** Pure GCRA step: the decision and the TAT to store for a hit at `now` that finds `tat`. */
export function gcraHit(
  rule: RateLimitRule,
  tat: number | null,
  now: number,
): { allowed: boolean; tat: number; retryAfterSeconds: number } {
  const { interval, horizon } = gcraSchedule(rule, now);
  const allowed = tat === null || tat <= horizon;
  const next = allowed ? Math.max(tat ?? now, now) + interval : tat!;
  return { allowed, tat: next, retryAfterSeconds: retryAfter(next, horizon) };
}

/**
 * GCRA rate limits in the database, so they hold across every Pylon process. A hit
 * is one upsert whose update reads the stored TAT and writes the new TAT and the decision in the
 * same statement, so it is atomic on both SQLite (one writer) and PostgreSQL (the conflicting row
 * is locked for the update; a concurrent hit on the same key waits and then sees the new TAT).
 * The SQL mirrors `gcraHit`.
 */
export class RateLimiter {
  private readonly hitStatement;
  private readonly refundStatement;

  constructor(private readonly db: DB) {
    this.hitStatement = prepareHit(db);
    this.refundStatement = prepareWrite<never, 'key' | 'interval'>((value) =>
      db
        .updateTable('rate_limit_gcra')
        .set({ tat: sql<number>`rate_limit_gcra.tat - ${value('interval')}` })
        .where('key', '=', value('key')),
    );
  }

  /**
   * Count one event against the rule and say whether it is still within the limit; on `db`, a
   * transaction of the caller's, when the hit belongs with other writes.
   */
  async hit(rule: RateLimitRule, subject: string, now: number, db: DB = this.db): Promise<RateLimitDecision> {
    const { interval, horizon } = gcraSchedule(rule, now);
    const [row] = await this.hitStatement.run(db, {
      key: keyOf(rule, subject),
      now,
      interval,
      horizon,
      start: now + interval,
    });
    return { allowed: Number(row!.allowed) === 1, retryAfterSeconds: retryAfter(Number(row!.tat), horizon) };
  }

  /**
   * Give back one allowed hit: for a rule that counts failures, an attempt is charged before it is
   * judged (so racing attempts cannot all pass) and given back when it succeeds. Each allowed hit
   * moved the TAT one interval later, so moving it one interval earlier undoes exactly one,
   * whatever hits came between.
   */
  async refund(rule: RateLimitRule, subject: string, now: number, db: DB = this.db): Promise<void> {
    await this.refundStatement.run(db, {
      key: keyOf(rule, subject),
      interval: gcraSchedule(rule, now).interval,
    });
  }
}

/**
 * The hit's upsert, prepared once: the SQL mirrors `gcraHit`, every number bound per hit (`start`,
 * now + interval, is the TAT of a subject's first hit or of one after its TAT has passed).
 */
function prepareHit(db: DB) {
  return prepareWrite<
    { tat: number | string; allowed: number | string },
    'key' | 'now' | 'interval' | 'horizon' | 'start'
  >((value) => {
    const [now, interval, horizon, start] = [
      value('now'),
      value('interval'),
      value('horizon'),
      value('start'),
    ];
    return db
      .insertInto('rate_limit_gcra')
      .values({ key: value('key'), tat: sql<number>`${start}`, allowed: sql.lit(1) })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          // Refused hits leave the TAT alone: retrying while refused does not push the wait further.
          tat: sql<number>`case
              when rate_limit_gcra.tat > ${horizon} then rate_limit_gcra.tat
              when rate_limit_gcra.tat > ${now} then rate_limit_gcra.tat + ${interval}
              else ${start} end`,
          allowed: sql<number>`case when rate_limit_gcra.tat > ${horizon} then 0 else 1 end`,
        }),
      )
      .returning(['tat', 'allowed']);
  });
}

function keyOf(rule: RateLimitRule, subject: string): string {
  return `${rule.name}:${subject}`;
}

/** When a hit finding `tat` would next conform: once `horizon` (now + window - interval) reaches it. */
function retryAfter(tat: number, horizon: number): number {
  return Math.max(1, Math.ceil((tat - horizon) / 1000));
}
