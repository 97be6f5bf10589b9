import cluster, { type Worker } from 'node:cluster';
import type { Logger } from './logger.js';
import { serveClusterMetrics } from './metrics/cluster-metrics.js';

export interface PrimaryOptions {
  workers: number;
  logger: Logger;
  /** How long a worker may take to finish its in-flight requests after SIGTERM. */
  shutdownGraceMs: number;
  /** Replacements allowed within `restartWindowMs` before the primary gives up (a crash loop). */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** The wait before retrying a replacement that failed to start, doubled each time up to `retryMaxMs`. */
  retryFirstMs?: number;
  retryMaxMs?: number;
}

/** What a worker that could not start tells the primary (`reportStartFailure`) before it exits. */
interface StartFailure {
  pylon: 'start-failed';
  /** One line, the error's message. */
  reason: string;
  /** An unexpected error's stack, logged only when it fails the cluster's own start-up. */
  stack?: string;
}

const isStartFailure = (value: unknown): value is StartFailure =>
  typeof value === 'object' &&
  value !== null &&
  (value as { pylon?: unknown }).pylon === 'start-failed' &&
  typeof (value as { reason?: unknown }).reason === 'string';

/**
 * In a worker that failed before it listened: tell the primary why, which logs it (runPrimary).
 * Resolves true once the message is on its way, false when there is no primary to tell.
 */
export function reportStartFailure(reason: string, stack?: string): Promise<boolean> {
  const send = process.send?.bind(process);
  if (send === undefined || !process.connected) return Promise.resolve(false);
  const failure: StartFailure = { pylon: 'start-failed', reason, ...(stack ? { stack } : {}) };
  return new Promise((resolve) => send(failure, undefined, undefined, (error) => resolve(!error)));
}

/**
 * The primary of `serve --workers N`: forks the workers, which share the listening port through
 * `node:cluster` and nothing else but the database; replaces a worker that dies; on SIGTERM or
 * SIGINT passes the signal on, waits for every worker's graceful shutdown and resolves with the
 * exit code. One of the first N workers dying before it ever listened (a port in use) fails the
 * start-up: the others are stopped and its exit code is returned, instead of a restart loop. A
 * replacement that dies before it listens (the database refusing connections while it opens it)
 * is tried again after `retryFirstMs`, doubling up to `retryMaxMs`, for as long as it takes, while
 * the other workers keep serving. Migrations, the default org and the first signing key are done
 * by the caller before this runs, so workers never race to create them.
 *
 * Connections are handed out as Node does by default outside Windows (SCHED_RR): the primary
 * accepts each one and passes it to a worker over IPC, keeping its own copy open until the worker
 * acknowledges it. A worker killed in between never does, and that one connection stays open in
 * the primary, unanswered, for good (docs/OPERATIONS.md, "Workers"). The
 * alternative, NODE_CLUSTER_SCHED_POLICY=none (every worker accepts on the shared socket), has no
 * such handoff but spreads connections opened together far less evenly, so it is left to choose.
 */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  const { logger, workers } = options;
  const maxRestarts = options.maxRestarts ?? 10;
  const restartWindowMs = options.restartWindowMs ?? 60_000;
  const retryFirstMs = options.retryFirstMs ?? 1_000;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const listened = new WeakSet<Worker>();
  const restarts: number[] = [];
  // A replacement's failed tries before it (0 for the first); the first N workers have no entry.
  const failedTries = new WeakMap<Worker, number>();
  // Why a worker could not start, as it said (reportStartFailure).
  const failures = new WeakMap<Worker, StartFailure>();
  // Workers whose IPC channel has closed: every message they sent has arrived.
  const disconnected = new WeakSet<Worker>();
  const retries = new Set<NodeJS.Timeout>();
  let stopping = false;
  let exitCode = 0;

  return new Promise((resolve) => {
    // A worker stays in `cluster.workers` until both its process has exited and its IPC channel
    // has closed, and those two events come in either order: counting it as live until then would
    // miss the last 'exit' and leave the primary waiting forever. A dead process is not live.
    const live = () =>
      Object.values(cluster.workers ?? {}).filter(
        (worker): worker is Worker => worker !== undefined && !worker.isDead(),
      );

    const finishWhenEmpty = () => {
      if (stopping && live().length === 0) {
        logger.info('stopped');
        resolve(exitCode);
      }
    };

    const stopAll = (reason: string, code: number) => {
      if (stopping) return;
      stopping = true;
      exitCode = code;
      for (const retry of retries) clearTimeout(retry);
      logger.info(`${reason}: stopping ${live().length} worker(s)`);
      for (const worker of live()) worker.process.kill('SIGTERM');
      // A worker that ignores SIGTERM past its own grace period is killed.
      const force = setTimeout(() => {
        for (const worker of live()) worker.process.kill('SIGKILL');
      }, options.shutdownGraceMs + 5_000);
      force.unref();
      finishWhenEmpty();
    };

    const replace = (tries: number): Worker => {
      const worker = cluster.fork();
      failedTries.set(worker, tries);
      return worker;
    };

    const failedToStart = (worker: Worker, how: string, code: number) => {
      if (stopping) return;
      const failure = failures.get(worker);
      const why = `worker ${worker.id} exited (${how}) before it listened${failure ? `: ${failure.reason}` : ''}`;
      const tries = failedTries.get(worker);
      if (tries === undefined) {
        logger.error(
          failure?.stack ? { err: { message: failure.reason, stack: failure.stack } } : {},
          `${why}; stopping`,
        );
        stopAll('start-up failed', code || 1);
        return;
      }
      const delayMs = Math.min(retryFirstMs * 2 ** tries, retryMaxMs);
      logger.warn(`${why}; starting another in ${delayMs / 1000} s`);
      const retry = setTimeout(() => {
        retries.delete(retry);
        if (!stopping) replace(tries + 1);
      }, delayMs);
      retries.add(retry);
    };

    let announced = false;
    cluster.on('listening', (worker, address) => {
      listened.add(worker);
      const tries = failedTries.get(worker) ?? 0;
      if (tries > 0) logger.info(`worker ${worker.id} listening, after ${tries} failed start(s)`);
      if (announced || live().length !== workers || !live().every((each) => listened.has(each))) return;
      announced = true;
      logger.info(`${workers} workers listening on port ${address.port}`);
      // A supervisor that started the primary with an IPC channel (a test, the benchmark) learns
      // when every worker accepts connections, and on which port (useful with PYLON_PORT=0).
      process.send?.({ pylon: 'listening', workers, port: address.port });
    });

    cluster.on('message', (worker, message: unknown) => {
      if (isStartFailure(message)) failures.set(worker, message);
    });
    cluster.on('disconnect', (worker) => disconnected.add(worker));

    cluster.on('exit', (worker, code, signal) => {
      if (stopping) {
        finishWhenEmpty();
        return;
      }
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (!listened.has(worker)) {
        // Its reason comes over IPC and may still be on the way: decide once the channel closed.
        if (disconnected.has(worker)) failedToStart(worker, how, code);
        else worker.once('disconnect', () => failedToStart(worker, how, code));
        return;
      }
      const now = Date.now();
      while (restarts.length > 0 && restarts[0]! < now - restartWindowMs) restarts.shift();
      if (restarts.length >= maxRestarts) {
        logger.error(
          `worker ${worker.id} exited (${how}); ${maxRestarts} restarts in ${restartWindowMs} ms, giving up`,
        );
        stopAll('crash loop', 1);
        return;
      }
      restarts.push(now);
      const replacement = replace(0);
      logger.warn(`worker ${worker.id} exited (${how}); started worker ${replacement.id} in its place`);
    });

    process.on('SIGTERM', () => stopAll('SIGTERM', 0));
    process.on('SIGINT', () => stopAll('SIGINT', 0));

    // A scrape of /metrics lands on one worker; it asks here for every worker's figures.
    serveClusterMetrics();
    logger.info(`starting ${workers} workers`);
    for (let i = 0; i < workers; i++) cluster.fork();
  });
}
