import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { AlarmScheduler, type AlarmStorage } from '../../src/workers/alarm-scheduler.js';

/** The alarm half of a Durable Object's storage, as the runtime keeps it: one alarm time or none. */
function alarmStorage(): AlarmStorage & { alarm: number | null } {
  return {
    alarm: null,
    async getAlarm() {
      return this.alarm;
    },
    async setAlarm(time) {
      this.alarm = time;
    },
  };
}

describe('AlarmScheduler (periodic work on a Durable Object alarm)', () => {
  it('arms the alarm one period after boot, and keeps an earlier alarm already set', async () => {
    const clock = manualClock();
    const storage = alarmStorage();
    const scheduler = new AlarmScheduler(storage, clock.now);
    scheduler.every(60_000, async () => {});
    await scheduler.arm();
    expect(storage.alarm).toBe(clock.now() + 60_000);
    storage.alarm = clock.now() + 5_000;
    await scheduler.arm();
    expect(storage.alarm).toBe(clock.now() + 5_000);
  });

  it('an alarm runs a task not yet run in this instance, then only due ones, and arms the next run', async () => {
    const clock = manualClock();
    const storage = alarmStorage();
    const scheduler = new AlarmScheduler(storage, clock.now);
    const runs: string[] = [];
    scheduler.every(60_000, async () => void runs.push(`minute@${clock.now()}`));
    scheduler.every(3_600_000, async () => void runs.push(`hour@${clock.now()}`));
    const start = clock.now();
    // Woken by an alarm right after boot (an evicted object): both run although neither is due.
    clock.advance(1_000);
    await scheduler.run();
    expect(runs).toEqual([`minute@${start + 1_000}`, `hour@${start + 1_000}`]);
    expect(storage.alarm).toBe(start + 61_000);
    // A minute on: only the minutely one, and the alarm for the next minute.
    clock.advance(60_000);
    await scheduler.run();
    expect(runs.slice(2)).toEqual([`minute@${start + 61_000}`]);
    expect(storage.alarm).toBe(start + 121_000);
    // An early alarm (set by someone else) runs nothing and re-arms the same time.
    clock.advance(10_000);
    await scheduler.run();
    expect(runs).toHaveLength(3);
    expect(storage.alarm).toBe(start + 121_000);
  });

  it('a stopped task no longer runs, and with none left no alarm is set', async () => {
    const clock = manualClock();
    const storage = alarmStorage();
    const scheduler = new AlarmScheduler(storage, clock.now);
    let runs = 0;
    const stop = scheduler.every(60_000, async () => void runs++);
    stop();
    await scheduler.arm();
    await scheduler.run();
    expect([runs, storage.alarm]).toEqual([0, null]);
  });
});
