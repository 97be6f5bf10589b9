import { type RawBuilder, sql } from 'kysely';
import type { DB } from '../storage/database.js';
import { type PreparedQuery, prepareQuery, prepareWrite } from '../storage/prepared-query.js';

export interface LockoutPolicy {
  name: string;
  /** Failures tolerated inside the window before the first lock. */
  threshold: number;
  windowSeconds: number;
  /** The first lock's length; each further failure while over the threshold doubles it. */
  baseLockSeconds: number;
  maxLockSeconds: number;
}

/** Pure: how long the subject is locked after its `failures`-th failure. */
export function lockSeconds(policy: LockoutPolicy, failures: number): number {
  if (failures < policy.threshold) return 0;
  const doublings = Math.min(failures - policy.threshold, 30);
  return Math.min(policy.baseLockSeconds * 2 ** doublings, policy.maxLockSeconds);
}

/**
 * Failed-attempt lockouts shared by every process. An attempt is counted before it is judged, with
 * one upsert (a new window restarts the count), so attempts racing each other are counted one by
 * one and none passes a check made before the others failed; a success forgives what it counted.
 * The lock only ever moves later, so racing attempts cannot shorten it; a subject under the
 * threshold stores no lock (0), so no attempt is ever refused before the threshold is reached.
 */
export class Lockouts {
  private readonly lockedQuery;
  private readonly forgiveStatement;
  /** Each policy's attempt, prepared once: its thresholds are part of the statement's text. */
  private readonly attempts = new WeakMap<LockoutPolicy, PreparedQuery<CountedRow, AttemptValue>>();

  constructor(private readonly db: DB) {
    this.lockedQuery = prepareQuery<{ locked_until: number | string }, 'key'>((value) =>
      db.selectFrom('lockouts').select('locked_until').where('key', '=', value('key')),
    );
    this.forgiveStatement = prepareWrite<never, 'key' | 'failures' | 'windowStart'>((value) =>
      db
        .deleteFrom('lockouts')
        .where('key', '=', value('key'))
        .where('failures', '=', sql<number>`${value('failures')}`)
        .where('window_start', '=', sql<number>`${value('windowStart')}`),
    );
  }

  /** Seconds the subject stays locked, or 0 when it may try. */
  async lockedFor(policy: LockoutPolicy, subject: string, now: number, db: DB = this.db): Promise<number> {
    const [row] = await this.lockedQuery.run(db, { key: `${policy.name}:${subject}` });
    return secondsUntil(Number(row?.locked_until ?? 0), now);
  }

  /**
   * Count an attempt as a failure before it is judged: 0 when the subject may try (the attempt is
   * counted, and the lock its count calls for is already in place for the attempts after it; a
   * success must `forgive` it), or the seconds the subject is still locked (the attempt is refused
   * and not counted). One statement counts the attempt and sets its lock, and only while the
   * subject is not locked, so attempts racing on any number of connections are judged one by one.
   * On `db`, a transaction of the caller's, when the attempt belongs with other writes.
   */
  async attempt(policy: LockoutPolicy, subject: string, now: number, db: DB = this.db): Promise<number> {
    return (await this.count(policy, subject, now, db)).lockedFor;
  }

  /** `attempt`, answering also what it counted, for `forgive`. */
  async count(policy: LockoutPolicy, subject: string, now: number, db: DB = this.db): Promise<LockoutCount> {
    let statement = this.attempts.get(policy);
    if (statement === undefined) {
      statement = prepareAttempt(this.db, policy);
      this.attempts.set(policy, statement);
    }
    const [counted] = await statement.run(db, {
      key: `${policy.name}:${subject}`,
      now,
      windowEnd: now - policy.windowSeconds * 1000,
      firstLockUntil: lockUntil(now, lockSeconds(policy, 1)),
    });
    if (counted !== undefined) {
      return {
        lockedFor: 0,
        counted: { failures: counted.failures, windowStart: Number(counted.window_start) },
      };
    }
    // Refused: at least a second, even if the lock ends between the two statements.
    return { lockedFor: Math.max(1, await this.lockedFor(policy, subject, now, db)), counted: null };
  }

  /**
   * A counted attempt was no failure (a right guess): the subject's failures are forgotten, but
   * only while they are the ones this attempt saw counted, none after it. An attempt counted in
   * between, racing this one, stays counted, and so does this one with it: forgetting them would
   * let the attempts in flight be judged again, past the threshold.
   */
  async forgive(
    policy: LockoutPolicy,
    subject: string,
    counted: CountedAttempt,
    db: DB = this.db,
  ): Promise<void> {
    await this.forgiveStatement.run(db, {
      key: `${policy.name}:${subject}`,
      failures: counted.failures,
      windowStart: counted.windowStart,
    });
  }
}

/** The count an attempt left on its subject, which identifies it while nothing is counted after it. */
export interface CountedAttempt {
  failures: number;
  windowStart: number;
}

export type LockoutCount = { lockedFor: 0; counted: CountedAttempt } | { lockedFor: number; counted: null };

/**
 * When a lock of `seconds` from `now` ends, or 0 for none. No lock is stored as 0, never as `now`:
 * an attempt racing this one took its own `now` earlier, and must not find the subject locked.
 */
const lockUntil = (now: number, seconds: number) => (seconds > 0 ? now + seconds * 1000 : 0);

type AttemptValue = 'key' | 'now' | 'windowEnd' | 'firstLockUntil';

interface CountedRow {
  failures: number;
  window_start: number | string;
}

/**
 * `attempt`'s upsert for one policy. A window that started at or before `windowEnd` (now minus the
 * window) is over, and the count restarts at 1 with the window; the lock is the one the new count
 * calls for, from now. A locked subject's row is left alone, and the statement returns no row.
 */
function prepareAttempt(db: DB, policy: LockoutPolicy) {
  return prepareWrite<CountedRow, AttemptValue>((value) => {
    const now = value('now');
    const restarts = sql<boolean>`lockouts.window_start <= ${value('windowEnd')}`;
    const failures = sql<number>`case when ${restarts} then 1 else lockouts.failures + 1 end`;
    const lockMillis = lockMillisFor(policy, failures);
    return db
      .insertInto('lockouts')
      .values({
        key: value('key'),
        failures: sql.lit(1),
        window_start: sql<number>`${now}`,
        locked_until: sql<number>`${value('firstLockUntil')}`,
      })
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({
            failures,
            window_start: sql`case when ${restarts} then ${now} else lockouts.window_start end`,
            locked_until: sql`case when ${lockMillis} = 0 then 0 else cast(${now} as bigint) + ${lockMillis} end`,
          })
          .where('lockouts.locked_until', '<=', sql<number>`${now}`),
      )
      .returning(['failures', 'window_start']);
  });
}

const secondsUntil = (until: number, now: number) => (until > now ? Math.ceil((until - now) / 1000) : 0);

/**
 * `lockSeconds(policy, failures) × 1000` as SQL over a failure count computed in the statement, so
 * the count and the lock it calls for are written together: none under the threshold, the base
 * lock doubled once per failure beyond it (a left shift), and from the first doubling that reaches
 * the cap on, the cap (`lockSeconds` there: it caps the doublings at 30 too).
 */
function lockMillisFor(policy: LockoutPolicy, failures: RawBuilder<number>): RawBuilder<number> {
  let capped = 0;
  while (capped < 30 && lockSeconds(policy, policy.threshold + capped) < policy.maxLockSeconds) capped++;
  const beyond = sql<number>`(${failures} - ${sql.lit(policy.threshold)})`;
  return sql<number>`case
    when ${beyond} < 0 then 0
    when ${beyond} >= ${sql.lit(capped)} then ${sql.lit(lockSeconds(policy, policy.threshold + capped) * 1000)}
    else cast(${sql.lit(policy.baseLockSeconds * 1000)} as bigint) << ${beyond} end`;
}
