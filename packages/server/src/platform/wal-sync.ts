import { close, fstatSync, fsync, open } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const openFile = promisify(open);
const closeFile = promisify(close);
const syncFile = promisify(fsync);

/** `groupSync`'s two sides. */
export interface GroupSync {
  /** Resolves once a sync that started after this call has finished. */
  sync(): Promise<void>;
  /** Resolves once no sync runs or waits to run (shutdown waits for it before closing the file). */
  settled(): Promise<void>;
}

/**
 * Group commit: `sync` (one fsync) shared by every caller whose write finished before it started.
 * A caller arriving while no sync runs starts one; callers arriving while one runs all wait for
 * the next, which starts once the running one has settled — never the running one, which may
 * have started before their write and so may not cover it. A failed sync rejects exactly the
 * callers it was for; the next caller starts a fresh one.
 */
export function groupSync(sync: () => Promise<void>): GroupSync {
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const start = (): Promise<void> => {
    const current = sync().finally(() => {
      if (running === current) running = null;
    });
    running = current;
    return current;
  };
  const ignore = () => undefined;
  return {
    sync() {
      if (next) return next;
      if (!running) return start();
      next = running.then(ignore, ignore).then(() => {
        next = null;
        return start();
      });
      return next;
    },
    async settled() {
      while (running !== null || next !== null) await (next ?? running)!.then(ignore, ignore);
    },
  };
}

/** The fsync of one SQLite database's write-ahead log, as `WalDurability` needs it. */
export interface WalFile {
  /** fsync the WAL (and, the first time and whenever the file is new, its directory). */
  sync(): Promise<void>;
  /** Close the descriptor once no sync runs. */
  close(): Promise<void>;
}

/**
 * The WAL file next to the database at `path`, held open and fsynced on libuv's thread pool, so
 * the event loop never waits for the disk. fsync flushes the file, not the descriptor, so it
 * covers what SQLite's own connection wrote. While any connection has the database open SQLite
 * keeps its WAL (it deletes the file only on the last close), so the descriptor names the live
 * file; should the file ever have been unlinked (`nlink` 0) it is opened afresh, and a new file's
 * directory entry is made durable too, as SQLite does for a WAL it creates.
 */
export function walFile(path: string): WalFile {
  const walPath = `${path}-wal`;
  let fd: number | null = null;
  let syncing: Promise<void> = Promise.resolve();
  // Best effort, as SQLite's own directory sync: some file systems cannot open or fsync a
  // directory, and a WAL that is synced must not fail every write there.
  const syncDirectory = async () => {
    const directory = await openFile(dirname(path), 'r').catch(() => null);
    if (directory === null) return;
    try {
      await syncFile(directory);
    } catch {
      // The file's own fsync below still decides.
    } finally {
      await closeFile(directory);
    }
  };
  const syncOnce = async () => {
    // On the event loop: fstat of an open descriptor reads the inode in memory, which costs less
    // than handing it to the thread pool.
    if (fd !== null && fstatSync(fd).nlink === 0) {
      await closeFile(fd);
      fd = null;
    }
    if (fd === null) {
      fd = await openFile(walPath, 'r');
      await syncDirectory();
    }
    await syncFile(fd);
  };
  return {
    sync() {
      syncing = syncOnce();
      return syncing;
    },
    async close() {
      await syncing.catch(() => undefined);
      if (fd !== null) await closeFile(fd);
      fd = null;
    },
  };
}
