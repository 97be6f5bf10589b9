import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints of one SQLite database's WAL, run off the event loop. A checkpoint copies the WAL's
 * committed pages into the database file and fsyncs both (https://sqlite.org/wal.html#ckpt). SQLite
 * runs one by itself inside the commit that takes the WAL past 1 000 pages, on the committing
 * connection — for Pylon the event loop's, whose every request then waited for the page copies and
 * two fsyncs (several milliseconds on the benchmark's virtual disk, more on a disk without a write
 * cache). So the serving connection turns that off (`wal_autocheckpoint = 0`) and this runs the
 * checkpoints instead, on a connection of its own in a worker thread.
 */
export interface WalCheckpointer {
  /**
   * One write turn (a transaction or a lone write statement) has committed; true once every
   * `turnsPerCheckpoint` of them, when the caller should run `checkpoint` (false after a failure:
   * SQLite checkpoints by itself again).
   */
  wrote(): boolean;
  /**
   * Run one PASSIVE checkpoint in the worker (it never waits for readers or writers, and copies
   * what they do not hold) and resolve once it has answered. The caller holds its connection
   * meanwhile, so no write of this process lands during it and it can copy the whole WAL: the next
   * write then starts the WAL again from its beginning (https://sqlite.org/wal.html#avoiding_excessively_large_wal_files).
   */
  checkpoint(): Promise<void>;
  /** Checkpoints run so far (the worker's answers received), and those that failed. */
  readonly stats: { checkpoints: number; failed: number };
  /** Stop the worker, after any checkpoint in flight; the serving connection closes after it. */
  close(): Promise<void>;
}

/**
 * Write turns between two checkpoints. A Pylon write turn adds a few pages to the WAL (a sign-in's
 * two turns ~15 in all: the rows, their indexes, the audit entry and its chain head), so ~128 turns
 * keep the WAL under the 1 000 pages at which SQLite would have checkpointed by itself.
 */
export const TURNS_PER_CHECKPOINT = 128;

/**
 * The worker's code, run with `eval` (so it needs no file of its own beside the built output, and
 * runs the same under the test runner): one better-sqlite3 connection to the file, a PASSIVE
 * checkpoint per message, its outcome posted back. SQLITE_BUSY means another connection (another
 * process's checkpointer) held the checkpoint lock: nothing to do, the next one will run.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const database = new Database(workerData.path, { fileMustExist: true });
parentPort.on('message', (message) => {
  if (message === 'close') {
    database.close();
    parentPort.close();
    return;
  }
  try {
    database.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true });
  } catch (error) {
    parentPort.postMessage({ ok: Boolean(error && error.code === 'SQLITE_BUSY') });
  }
});
`;

/**
 * A checkpointer for the database at `path`. `onFailure` runs once if the worker cannot run (it
 * failed to start, or died): the caller then turns SQLite's own checkpoints back on, so the WAL
 * never grows without bound — back on the event loop, but bounded.
 */
export function walCheckpointer(
  path: string,
  onFailure: (error: unknown) => void,
  { turnsPerCheckpoint = TURNS_PER_CHECKPOINT }: { turnsPerCheckpoint?: number } = {},
): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver } });
  // It must not keep a process alive whose storage was never closed (a one-off command).
  worker.unref();
  const stats = { checkpoints: 0, failed: 0 };
  let turns = 0;
  let failed = false;
  let closing = false;
  /** The answer awaited, at most one at a time (the caller holds its connection meanwhile). */
  let waiting: (() => void) | null = null;
  const answered = () => {
    const resolve = waiting;
    waiting = null;
    resolve?.();
  };
  const fail = (error: unknown) => {
    if (failed) return;
    failed = true;
    if (!closing) onFailure(error);
    answered();
  };
  worker.on('message', (outcome: { ok: boolean }) => {
    stats.checkpoints++;
    if (!outcome.ok) stats.failed++;
    answered();
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the WAL checkpointer exited (${code})`)));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let running: Promise<void> = Promise.resolve();
  return {
    stats,
    wrote() {
      if (failed || closing) return false;
      turns++;
      if (turns < turnsPerCheckpoint) return false;
      turns = 0;
      return true;
    },
    checkpoint() {
      if (failed || closing || waiting !== null) return running;
      running = new Promise<void>((resolve) => {
        waiting = resolve;
      });
      worker.postMessage('checkpoint');
      return running;
    },
    async close() {
      if (closing) return exited;
      closing = true;
      // Waiting for it must keep the process alive, or a command closing its storage as its last
      // act would end with the close unsettled.
      worker.ref();
      await running;
      if (!failed) worker.postMessage('close');
      await exited;
    },
  };
}
