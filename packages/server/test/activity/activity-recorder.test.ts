import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ActivityRecorder, type ActivityTarget } from '../../src/activity/activity-recorder.js';
import { manualClock } from '../../src/clock.js';

describe('ActivityRecorder.flush', () => {
  it('resolves only after a write begun before it has finished', async () => {
    // `PylonServer.idle()` flushes every recorder; if the timer's flush has already taken the queue
    // and is still writing, idle must wait for that write instead of finding the queue empty.
    const events: string[] = [];
    let writing!: () => void;
    const writeStarted = new Promise<void>((resolve) => {
      writing = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const target: ActivityTarget = {
      name: 'probe',
      async touch(ids) {
        writing();
        await released;
        events.push(`written ${ids.join(',')}`);
      },
    };
    const recorder = new ActivityRecorder(target, manualClock(0), pino({ level: 'silent' }));
    recorder.seen('a', null, 0);
    const first = recorder.flush();
    await writeStarted;
    const second = recorder.flush().then(() => events.push('second flush done'));
    release();
    await Promise.all([first, second]);
    expect(events).toEqual(['written a', 'second flush done']);
  });

  it('a flush with nothing queued writes nothing', async () => {
    const touched: string[][] = [];
    const recorder = new ActivityRecorder(
      { name: 'probe', touch: async (ids) => void touched.push([...ids]) },
      manualClock(0),
      pino({ level: 'silent' }),
    );
    recorder.seen('a', 0, 30_000); // recorded half a minute ago: not queued
    await recorder.flush();
    expect(touched).toEqual([]);
    recorder.seen('a', 0, 61_000);
    await recorder.flush();
    expect(touched).toEqual([['a']]);
  });
});
