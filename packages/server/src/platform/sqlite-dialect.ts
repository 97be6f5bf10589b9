import {
  CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type MigrationLockOptions,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from 'kysely';

// The Kysely side of Pylon's SQLite (platform/sqlite.ts opens the database): transactions that
// take the write lock first, migrations inside transactions, and writes acknowledged only once
// the WAL is on disk, with its checkpoints run off the event loop.

/**
 * SQLite runs DDL inside transactions, so migrations can too; and taking the write lock as the
 * transaction's first statement makes concurrent migrators (several processes on one file) wait
 * for each other, as the advisory lock does on PostgreSQL. Kysely's stock adapter does neither,
 * because it assumes a single connection.
 */
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }

  override async acquireMigrationLock(db: Kysely<unknown>, options: MigrationLockOptions): Promise<void> {
    await sql`update ${sql.table(options.lockTable)} set is_locked = 1 where id = ${options.lockRowId}`.execute(
      db,
    );
  }
}

/**
 * Every transaction begins IMMEDIATE: it takes the write lock first, waiting up to the busy
 * timeout. A deferred transaction that reads and then writes while another process (a second
 * worker on the same file) has committed cannot upgrade its WAL snapshot and fails at once with
 * SQLITE_BUSY — the busy timeout does not apply — which turned a correct sign-in code racing
 * other requests into a 500 after the code was already consumed.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  /** `durability.changes()` when the connection was last acquired. */
  #changesAtAcquire = 0;
  /** The checkpoint turn in progress, if any. */
  #checkpointing: Promise<void> | null = null;

  constructor(
    settings: SqliteDialectConfig,
    private readonly durability: WalDurability | null,
  ) {
    super(settings);
    durability?.onCheckpointDue(() => {
      if (this.#checkpointing !== null) return;
      this.#checkpointing = this.#checkpointTurn().finally(() => {
        this.#checkpointing = null;
      });
    });
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    this.#changesAtAcquire = this.durability?.changes() ?? 0;
    return connection;
  }

  /**
   * Hands the connection on first, then — when this turn wrote anything — waits for the WAL's
   * fsync before the query or transaction counts as done: the caller acknowledges nothing the disk
   * does not hold, while the next request already runs on the connection.
   */
  override async releaseConnection(): Promise<void> {
    const wrote = this.durability !== null && this.durability.changes() !== this.#changesAtAcquire;
    await super.releaseConnection();
    if (!wrote) return;
    this.durability!.wrote();
    await this.durability!.sync();
  }

  /**
   * A WAL checkpoint in the worker (platform/wal-checkpoint.ts) while this driver holds the
   * connection: requests that need it wait their turn behind it, as they would behind any
   * statement, but the event loop goes on (the direct reader still answers), and with no write of
   * this process landing meanwhile the checkpoint copies the whole WAL, so the next write starts
   * it again from the beginning instead of letting it grow.
   */
  async #checkpointTurn(): Promise<void> {
    await super.acquireConnection();
    try {
      await this.durability!.checkpoint();
    } finally {
      await super.releaseConnection();
    }
  }

  /** Every write already committed is waited for before the file closes. */
  override async destroy(): Promise<void> {
    await this.#checkpointing;
    await this.durability?.settled();
    await this.durability?.close();
    await super.destroy();
  }
}

export class PylonSqliteDialect extends SqliteDialect {
  constructor(
    private readonly settings: SqliteDialectConfig,
    private readonly durability: WalDurability | null,
  ) {
    super(settings);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalSqliteAdapter();
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings, this.durability);
  }
}

/**
 * Durable commits without blocking the event loop. SQLite runs with `synchronous = NORMAL`, so a
 * commit appends to the WAL without an fsync; the driver then waits for `sync` — the WAL's fsync
 * on libuv's thread pool, one shared by every commit that finished before it started
 * (`groupSync`) — before the query or transaction resolves. An acknowledged write is thus on disk
 * as with `synchronous = FULL`, which fsyncs inside the commit and so holds the event loop (every
 * request of the process) once per write for the disk's time — milliseconds on a disk without a
 * write cache; on the benchmark machine's virtual disk the fsync itself takes ~25 µs, but a thread
 * blocked in it gives its core away, to an Argon2id computation for instance, for the rest of a
 * scheduler time slice. The WAL is one file written in order, so an fsync after a commit covers
 * it and every commit before it, of any connection or process.
 *
 * What differs from FULL: a commit is visible to other requests for the moment before its fsync
 * completes. A crash in that moment loses it — as it loses any write not yet acknowledged — after
 * another request may have read it; a write made on the strength of such a read is appended after
 * it, so that write's own acknowledgement implies both are durable.
 */
export interface WalDurability {
  /** How many statements that change data (or schema) this connection has run. */
  changes(): number;
  /** Resolves once everything committed before the call is on disk. */
  sync(): Promise<void>;
  /** Resolves once no sync runs or waits to run. */
  settled(): Promise<void>;
  /** A write turn committed (`WalCheckpointer.wrote`). */
  wrote(): void;
  /** What to run when a checkpoint of the WAL is due: the driver's checkpoint turn. */
  onCheckpointDue(run: () => void): void;
  /** Checkpoint the WAL off the event loop (`WalCheckpointer.checkpoint`). */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}

/** How many fsyncs of the WAL ran and how long they took in all, for the metrics. */
export interface WalSyncStats {
  syncs: number;
  seconds: number;
  /** Checkpoints of the WAL run off the event loop (platform/wal-checkpoint.ts). */
  checkpoints: number;
}

/** `sync`, counted and timed into `stats` whether it succeeds or fails. */
export function timed(sync: () => Promise<void>, stats: WalSyncStats): () => Promise<void> {
  return () => {
    const started = performance.now();
    return sync().finally(() => {
      stats.syncs++;
      stats.seconds += (performance.now() - started) / 1000;
    });
  };
}
