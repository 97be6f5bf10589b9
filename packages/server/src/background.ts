/**
 * Work that runs off the request path (mail whose timing must not tell whether an account exists,
 * batched activity writes). Tracked so that `PylonServer.idle()` can wait for it — tests await the
 * server instead of sleeping — and so shutdown never drops it.
 */
export class BackgroundWork {
  private readonly pending = new Set<Promise<void>>();
  private readonly flushers: Array<() => Promise<void>> = [];

  /** Start a task; its failures are its own to log (a task must not reject unhandled). */
  run(task: Promise<unknown>): void {
    const tracked: Promise<void> = task.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  /** Register a buffer to write out on idle and on close (an activity recorder's flush). */
  onFlush(flush: () => Promise<void>): void {
    this.flushers.push(flush);
  }

  /** Resolves once every started task has settled and every buffer is written. */
  async idle(): Promise<void> {
    do {
      await Promise.all([...this.pending]);
      for (const flush of this.flushers) await flush();
    } while (this.pending.size > 0);
  }
}
