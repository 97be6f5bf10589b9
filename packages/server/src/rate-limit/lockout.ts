import { sql } from 'kysely';
import type { DB } from '../storage/database.js';

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
 * Failed-attempt lockouts shared by every process. A failure is counted with one upsert (a new
 * window restarts the count), and the lock only ever moves later, so racing failures cannot
 * shorten it. A success clears the subject.
 */
export class Lockouts {
  constructor(private readonly db: DB) {}

  /** Seconds the subject stays locked, or 0 when it may try. */
  async lockedFor(policy: LockoutPolicy, subject: string, now: number): Promise<number> {
    const row = await this.db
      .selectFrom('lockouts')
      .select('locked_until')
      .where('key', '=', `${policy.name}:${subject}`)
      .executeTakeFirst();
    const until = Number(row?.locked_until ?? 0);
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  /** Record a failure; returns the seconds of lock it caused (0 while under the threshold). */
  async fail(policy: LockoutPolicy, subject: string, now: number): Promise<number> {
    const key = `${policy.name}:${subject}`;
    const windowMs = policy.windowSeconds * 1000;
    const row = await this.db
      .insertInto('lockouts')
      .values({ key, failures: 1, window_start: now, locked_until: 0 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          failures: sql`case when lockouts.window_start + ${windowMs} <= ${now} and lockouts.locked_until <= ${now} then 1 else lockouts.failures + 1 end`,
          window_start: sql`case when lockouts.window_start + ${windowMs} <= ${now} and lockouts.locked_until <= ${now} then ${now} else lockouts.window_start end`,
        }),
      )
      .returning('failures')
      .executeTakeFirstOrThrow();
    const seconds = lockSeconds(policy, Number(row.failures));
    if (seconds > 0) {
      const until = now + seconds * 1000;
      await this.db
        .updateTable('lockouts')
        .set({ locked_until: sql`case when locked_until < ${until} then ${until} else locked_until end` })
        .where('key', '=', key)
        .execute();
    }
    return seconds;
  }

  async clear(policy: LockoutPolicy, subject: string): Promise<void> {
    await this.db.deleteFrom('lockouts').where('key', '=', `${policy.name}:${subject}`).execute();
  }
}
