/**
 * Look-ups by key that arrive together share one read (the DataLoader pattern), so a database
 * reached over a socket pays its per-statement cost — a round trip, the driver's message
 * building and parsing, a pooled connection — once per batch instead of once per request.
 *
 * When a look-up arrives, it joins the queue; the queue is sent as one `load` at the end of the
 * current turn of the event loop (`setImmediate`: every request Node parsed in this turn joins),
 * or, while `maxInFlight` loads are already running, as soon as one of them finishes. A look-up
 * never joins a load that has already started: that load began before this look-up arrived and
 * could miss a change committed in between (a sign-out, a revocation), so the answer a look-up gets
 * is always read after it was asked. With nothing else running a look-up waits one turn of the
 * event loop and no more.
 */
export interface ReadBatcherOptions<Key, Row> {
  /** Read every row whose key is in `keys` (distinct). Rows for keys not found are simply absent. */
  load(keys: Key[]): Promise<Row[]>;
  /** The key a row answers. */
  keyOf(row: Row): Key;
  /** Loads running at once; more look-ups wait for one to finish. */
  maxInFlight: number;
  /** Distinct keys per load at most. */
  maxKeys: number;
  /** Called with each load's number of distinct keys (metrics, tests). */
  onLoad?: (keys: number) => void;
  /** Called when the last running load has finished and nothing is queued. */
  onIdle?: () => void;
}

interface Waiter<Row> {
  resolve(rows: Row[]): void;
  reject(error: unknown): void;
}

export interface ReadBatcher<Key, Row> {
  /** The rows for `key`, read after this call. Each caller gets its own row objects. */
  read(key: Key): Promise<Row[]>;
  /** Nothing queued and nothing running. */
  idle(): boolean;
}

export function createReadBatcher<Key, Row extends object>(
  options: ReadBatcherOptions<Key, Row>,
): ReadBatcher<Key, Row> {
  const queue = new Map<Key, Waiter<Row>[]>();
  let inFlight = 0;
  let scheduled = false;

  function schedule(): void {
    if (scheduled || queue.size === 0 || inFlight >= options.maxInFlight) return;
    scheduled = true;
    setImmediate(dispatch);
  }

  function dispatch(): void {
    scheduled = false;
    while (queue.size > 0 && inFlight < options.maxInFlight) send(take());
  }

  function take(): Map<Key, Waiter<Row>[]> {
    const batch = new Map<Key, Waiter<Row>[]>();
    for (const [key, waiters] of queue) {
      if (batch.size === options.maxKeys) break;
      batch.set(key, waiters);
      queue.delete(key);
    }
    return batch;
  }

  function settle(batch: Map<Key, Waiter<Row>[]>, rows: Row[]): void {
    try {
      const found = new Map<Key, Row[]>();
      for (const row of rows) {
        const key = options.keyOf(row);
        const list = found.get(key);
        if (list) list.push(row);
        else found.set(key, [row]);
      }
      for (const [key, waiters] of batch) {
        const answer = found.get(key) ?? [];
        // The first waiter takes the rows read; any other one a copy of each.
        waiters.forEach((waiter, index) => {
          waiter.resolve(index === 0 ? answer : answer.map((row) => ({ ...row })));
        });
      }
    } catch (error) {
      // A row the batch cannot tell apart: every look-up of the batch fails (none hangs).
      fail(batch, error);
    }
  }

  function fail(batch: Map<Key, Waiter<Row>[]>, error: unknown): void {
    for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
  }

  function send(batch: Map<Key, Waiter<Row>[]>): void {
    inFlight++;
    let loading: Promise<Row[]>;
    try {
      options.onLoad?.(batch.size);
      loading = options.load([...batch.keys()]);
    } catch (error) {
      loading = Promise.reject(error);
    }
    loading
      .then(
        (rows) => settle(batch, rows),
        (error: unknown) => fail(batch, error),
      )
      .finally(() => {
        inFlight--;
        schedule();
        if (inFlight === 0 && queue.size === 0) options.onIdle?.();
      });
  }

  return {
    read(key) {
      return new Promise<Row[]>((resolve, reject) => {
        const waiters = queue.get(key);
        if (waiters) waiters.push({ resolve, reject });
        else queue.set(key, [{ resolve, reject }]);
        schedule();
      });
    },
    idle: () => queue.size === 0 && inFlight === 0,
  };
}
