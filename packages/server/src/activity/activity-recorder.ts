import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';

const REFRESH_AFTER_MS = 60_000;
const SWEEP_EVERY_MS = 60 * 60_000;

/** Where recorded activity goes: a table's `last_*_at` column, and optionally a sweep of the dead. */
export interface ActivityTarget {
  /** For log lines. */
  name: string;
  touch(ids: readonly string[], now: number): Promise<void>;
  sweep?(now: number): Promise<number>;
}

/**
 * Keeps a `last_used_at`-style column roughly current without writing on the request path: an id
 * seen more than a minute after its last recorded use is queued, and the queue is written in one
 * statement after the response (reads never write; "at most once a minute"). A
 * sweep, when the target has one, runs at most once an hour on the same background turn.
 */
export class ActivityRecorder {
  private readonly pending = new Set<string>();
  private scheduled = false;
  private lastSweep = 0;
  /** The write in progress: flushes run one after another, so a flush never overtakes one begun before it. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: ActivityTarget,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  seen(id: string, lastRecordedAt: number | null, now: number): void {
    if (lastRecordedAt !== null && now - lastRecordedAt < REFRESH_AFTER_MS) return;
    this.pending.add(id);
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => void this.flush(), 0).unref?.();
  }

  /**
   * Write queued activity and sweep if due; safe to call at any time (`PylonServer.idle()`,
   * shutdown). Resolves once this write and every one begun before it (the timer's) is done.
   */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  private async write(): Promise<void> {
    this.scheduled = false;
    const ids = [...this.pending];
    this.pending.clear();
    const now = this.clock.now();
    try {
      if (ids.length > 0) await this.target.touch(ids, now);
      if (this.target.sweep && now - this.lastSweep >= SWEEP_EVERY_MS) {
        this.lastSweep = now;
        const swept = await this.target.sweep(now);
        if (swept > 0) this.logger.info({ swept }, `${this.target.name}: expired rows removed`);
      }
    } catch (error) {
      this.logger.warn({ err: error }, `${this.target.name}: activity flush failed`);
    }
  }
}
