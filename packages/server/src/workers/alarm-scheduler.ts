import type { Scheduler } from '../scheduler.js';

/** The alarm half of a Durable Object's storage (https://developers.cloudflare.com/durable-objects/api/alarms/). */
export interface AlarmStorage {
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number): Promise<void>;
}

interface Task {
  periodMs: number;
  work: () => Promise<void>;
  /** When it is next due (ms since the epoch). */
  due: number;
  /** Whether it has run in this instance of the object. */
  ran: boolean;
}

/**
 * The server's periodic work on the Durable Object's alarm instead of timers: a timer runs only
 * while the object is awake, an alarm wakes it (booting it again after an eviction). The object
 * arms the alarm when it boots (`arm`) and its `alarm()` handler calls `run`, which runs what is
 * due and arms the alarm again for the earliest next run. A task that has not run in this instance
 * of the object runs at its first alarm: an object woken by its alarm has just booted, and its
 * tasks' due times start from that boot.
 */
export class AlarmScheduler implements Scheduler {
  private readonly tasks = new Set<Task>();

  constructor(
    private readonly storage: AlarmStorage,
    private readonly now: () => number = Date.now,
  ) {}

  every(periodMs: number, work: () => Promise<void>): () => void {
    const task: Task = { periodMs, work, due: this.now() + periodMs, ran: false };
    this.tasks.add(task);
    return () => this.tasks.delete(task);
  }

  /** Set the alarm for the earliest due task, unless one is already set at or before it. */
  async arm(): Promise<void> {
    const earliest = this.earliest();
    if (earliest === null) return;
    const current = await this.storage.getAlarm();
    if (current === null || current > earliest) await this.storage.setAlarm(earliest);
  }

  private earliest(): number | null {
    return this.tasks.size === 0 ? null : Math.min(...[...this.tasks].map((task) => task.due));
  }

  /**
   * The alarm handler's work: every due task in turn (a task catches and logs its own failures),
   * then the alarm again, set outright: the one being handled is the one that fired, and a handler
   * that sets none leaves the object without an alarm.
   */
  async run(): Promise<void> {
    const now = this.now();
    for (const task of [...this.tasks]) {
      if (task.ran && task.due > now) continue;
      task.ran = true;
      task.due = now + task.periodMs;
      await task.work();
    }
    const earliest = this.earliest();
    if (earliest !== null) await this.storage.setAlarm(earliest);
  }
}
