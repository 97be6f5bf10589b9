import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints of one SQLite database's WAL, run off the event loop. A checkpoint copies the WAL's
 * committed pages into the database file and fsyncs both (https://sqlite.org/wal.html#ckpt). SQLite
 * runs one by itself inside the commit that takes the WAL past 1 000 pages, on the committing
 * connection — for Pylon the event loop's, whose every request then waited for the page copies and
 * two fsyncs (several milliseconds on the benchmark's virtual disk, more on a disk without a write
 * cache). So the serving connection leaves that to a backstop (platform/sqlite.ts) and this runs
 * the checkpoints instead, on a connection of its own in a worker thread.
 */
export interface WalCheckpointer {
  /**
   * One write turn (a transaction or a lone write statement) has committed. Every CHECK_TURNS of
   * them the worker looks at how many pages the WAL holds (every process's writes count), and
   * once that reaches CHECKPOINT_PAGES calls the `due` callback given to `walCheckpointer`.
   */
  wrote(): void;
  /**
   * Run one checkpoint in the worker and resolve once it has answered. The caller holds its
   * connection meanwhile, so no write of this process lands during it and it can copy the whole
   * WAL: the next write then starts the WAL again from its beginning
   * (https://sqlite.org/wal.html#avoiding_excessively_large_wal_files).
   */
  checkpoint(): Promise<void>;
  /** Checkpoints run so far (the worker's answers received), and those that failed. */
  readonly stats: { checkpoints: number; failed: number };
  /** Stop the worker, after any checkpoint in flight; the serving connection closes after it. */
  close(): Promise<void>;
}

/** The WAL's size, in pages, at which a checkpoint is due: SQLite's own default (https://sqlite.org/pragma.html#pragma_wal_autocheckpoint). */
export const CHECKPOINT_PAGES = 1000;

/** Write turns of this process between two looks at the WAL's size. */
export const CHECK_TURNS = 16;

/**
 * The worker's code, run with `eval` (so it needs no file of its own beside the built output, and
 * runs the same under the test runner). It holds one better-sqlite3 connection to the file and
 * answers two messages:
 *
 * - `check`: how many frames the WAL holds, read from the WAL-index header in the `-shm` file
 *   (`mxFrame`, a native-endian 32-bit integer at byte 16 of a header whose first field is the
 *   version 3007000; https://sqlite.org/walformat.html#the_wal_index_file_format), so every
 *   process's writes count; a header it cannot read makes the checkpoint due, so the WAL stays
 *   bounded at CHECK_TURNS turns' worth.
 * - `checkpoint`: a PASSIVE checkpoint (it never waits for readers or writers), then, when it
 *   copied everything, a RESTART one, which copies what came since and returns at once (no busy
 *   timeout) if a reader still uses the WAL, so that the next write starts the WAL again even while
 *   other processes read and write. SQLITE_BUSY means another process's checkpointer held the lock.
 */
const WORKER_SOURCE = `
const { readSync, openSync } = require('node:fs');
const { endianness } = require('node:os');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
// No busy timeout: a lock another connection holds is a checkpoint skipped, never a wait.
const database = new Database(workerData.path, { fileMustExist: true, timeout: 0 });
const header = Buffer.alloc(20);
let shm = null;
function framesInWal() {
  try {
    if (shm === null) shm = openSync(workerData.path + '-shm', 'r');
    if (readSync(shm, header, 0, 20, 0) < 20) return -1;
    const read = (offset) => (endianness() === 'LE' ? header.readUInt32LE(offset) : header.readUInt32BE(offset));
    return read(0) === 3007000 ? read(16) : -1;
  } catch {
    return -1;
  }
}
parentPort.on('message', (message) => {
  if (message === 'close') {
    database.close();
    parentPort.close();
    return;
  }
  if (message === 'check') {
    const frames = framesInWal();
    parentPort.postMessage({ kind: 'check', due: frames < 0 || frames >= workerData.pages });
    return;
  }
  try {
    const [row] = database.pragma('wal_checkpoint(PASSIVE)');
    if (row.busy !== 1 && row.checkpointed >= row.log) database.pragma('wal_checkpoint(RESTART)');
    parentPort.postMessage({ kind: 'checkpoint', ok: true });
  } catch (error) {
    parentPort.postMessage({ kind: 'checkpoint', ok: Boolean(error && error.code === 'SQLITE_BUSY') });
  }
});
`;

/**
 * A checkpointer for the database at `path`. `due` runs when a checkpoint is due (the caller then
 * takes its connection and calls `checkpoint`). `onFailure` runs once if the worker cannot run (it
 * failed to start, or died): the caller then turns SQLite's own checkpoints back on, so the WAL
 * never grows without bound — back on the event loop, but bounded.
 */
export function walCheckpointer(
  path: string,
  { due, onFailure }: { due: () => void; onFailure: (error: unknown) => void },
): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, driver, pages: CHECKPOINT_PAGES },
  });
  // It must not keep a process alive whose storage was never closed (a one-off command).
  worker.unref();
  const stats = { checkpoints: 0, failed: 0 };
  let turns = 0;
  let checking = false;
  let failed = false;
  let closing = false;
  /** The checkpoint's answer awaited, at most one at a time (the caller holds its connection meanwhile). */
  let waiting: (() => void) | null = null;
  let running: Promise<void> = Promise.resolve();
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
  worker.on('message', (answer: { kind: 'check'; due: boolean } | { kind: 'checkpoint'; ok: boolean }) => {
    if (answer.kind === 'check') {
      checking = false;
      if (answer.due && !failed && !closing) due();
      return;
    }
    stats.checkpoints++;
    if (!answer.ok) stats.failed++;
    answered();
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the WAL checkpointer exited (${code})`)));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    stats,
    wrote() {
      if (failed || closing) return;
      turns++;
      if (turns < CHECK_TURNS || checking) return;
      turns = 0;
      checking = true;
      worker.postMessage('check');
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
