import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { SessionStore } from './session-store.js';

const REFRESH_AFTER_MS = 60_000;
const SWEEP_EVERY_MS = 60 * 60_000;

/**
 * Keeps `last_seen_at` roughly current without writing on the request path: a session seen more
 * than a minute after its last recorded activity is queued, and the queue is written in one
 * statement after the response (CONTRACT §1: reads never write). Expired sessions are swept at
 * most once an hour on the same background turn.
 */
export class SessionActivity {
  private readonly pending = new Set<string>();
  private scheduled = false;
  private lastSweep = 0;

  constructor(
    private readonly sessions: SessionStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  seen(sessionId: string, lastSeenAt: number, now: number): void {
    if (now - lastSeenAt < REFRESH_AFTER_MS) return;
    this.pending.add(sessionId);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => void this.flush(), 0).unref?.();
  }

  /** Write queued activity and sweep if due; safe to call at any time (tests, shutdown). */
  async flush(): Promise<void> {
    this.scheduled = false;
    const ids = [...this.pending];
    this.pending.clear();
    const now = this.clock.now();
    try {
      await this.sessions.touch(ids, now);
      if (now - this.lastSweep >= SWEEP_EVERY_MS) {
        this.lastSweep = now;
        const swept = await this.sessions.sweepExpired(now);
        if (swept > 0) this.logger.info({ swept }, 'expired sessions removed');
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'session activity flush failed');
    }
  }
}
