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
}

/**
 * The primary of `serve --workers N`: forks the workers, which share the listening port through
 * `node:cluster` and nothing else but the database; replaces a worker that dies; on SIGTERM or
 * SIGINT passes the signal on, waits for every worker's graceful shutdown and resolves with the
 * exit code. A worker that dies before it ever listened (a port in use, a database gone) is a
 * start-up failure: the others are stopped and its exit code is returned, instead of a restart
 * loop. Migrations, the default org and the first signing key are done by the caller before this
 * runs, so workers never race to create them.
 */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  const { logger, workers } = options;
  const maxRestarts = options.maxRestarts ?? 10;
  const restartWindowMs = options.restartWindowMs ?? 60_000;
  const listened = new WeakSet<Worker>();
  const restarts: number[] = [];
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
      logger.info(`${reason}: stopping ${live().length} worker(s)`);
      for (const worker of live()) worker.process.kill('SIGTERM');
      // A worker that ignores SIGTERM past its own grace period is killed.
      const force = setTimeout(() => {
        for (const worker of live()) worker.process.kill('SIGKILL');
      }, options.shutdownGraceMs + 5_000);
      force.unref();
      finishWhenEmpty();
    };

    let announced = false;
    cluster.on('listening', (worker, address) => {
      listened.add(worker);
      if (announced || live().length !== workers || !live().every((each) => listened.has(each))) return;
      announced = true;
      logger.info(`${workers} workers listening on port ${address.port}`);
      // A supervisor that started the primary with an IPC channel (a test, the benchmark) learns
      // when every worker accepts connections, and on which port (useful with PYLON_PORT=0).
      process.send?.({ pylon: 'listening', workers, port: address.port });
    });

    cluster.on('exit', (worker, code, signal) => {
      if (stopping) {
        finishWhenEmpty();
        return;
      }
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (!listened.has(worker)) {
        logger.error(`worker ${worker.id} exited (${how}) before it listened; stopping`);
        stopAll('start-up failed', code || 1);
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
      const replacement = cluster.fork();
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
