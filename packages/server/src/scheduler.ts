/**
 * Periodic work off the request path (the audit chain's upkeep, audit/maintenance.ts). A port:
 * on Node a process timer; on Cloudflare Workers the Durable Object's alarm
 * (workers/alarm-scheduler.ts), because a timer there runs only while the object happens to be awake.
 */
export interface Scheduler {
  /** Run `work` every `periodMs` (first run one period from now); returns what stops it. */
  every(periodMs: number, work: () => Promise<void>): () => void;
}

/** `setInterval`, not holding the process open (a server's close() stops it anyway). */
export const intervalScheduler: Scheduler = {
  every(periodMs, work) {
    const timer = setInterval(() => void work(), periodMs);
    timer.unref?.();
    return () => clearInterval(timer);
  },
};
