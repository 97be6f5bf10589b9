import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Metrics } from './metrics.js';

/**
 * `/metrics` under `serve --workers N`. Each worker keeps its own registry, and a scrape lands on
 * one worker; so that it answers for the whole server, that worker asks the primary, the primary
 * collects every live worker's metrics over the cluster's IPC channel and merges them (counters
 * and histograms summed, event-loop delay the worst, as each metric's `aggregator` says), and the
 * merged text goes back. A worker that does not answer within the time limit is left out; when the
 * primary does not answer, the worker's own figures are served rather than nothing.
 */

type Snapshot = MetricObjectWithValues<MetricValue<string>>[];

type Message =
  | { pylon: 'metrics:request'; id: number }
  | { pylon: 'metrics:result'; id: number; text: string }
  | { pylon: 'metrics:collect'; id: number }
  | { pylon: 'metrics:part'; id: number; snapshot: Snapshot };

const isMessage = (value: unknown): value is Message =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { pylon?: unknown }).pylon === 'string' &&
  (value as { pylon: string }).pylon.startsWith('metrics:');

export const CLUSTER_METRICS_TIMEOUT_MS = 2_000;

/** In a worker: these metrics, whose `render` answers for every worker of the cluster. */
export function clusterWorkerMetrics(local: Metrics, timeoutMs = CLUSTER_METRICS_TIMEOUT_MS): Metrics {
  const waiting = new Map<number, (text: string) => void>();
  let next = 0;
  process.on('message', (message: unknown) => {
    if (!isMessage(message)) return;
    if (message.pylon === 'metrics:collect') {
      void local.snapshot().then((snapshot) => {
        process.send?.({ pylon: 'metrics:part', id: message.id, snapshot } satisfies Message);
      });
    } else if (message.pylon === 'metrics:result') {
      waiting.get(message.id)?.(message.text);
    }
  });
  const render = async (): Promise<string> => {
    if (!process.send || !process.connected) return local.render();
    const id = ++next;
    const merged = await new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      waiting.set(id, (text) => {
        clearTimeout(timer);
        resolve(text);
      });
      process.send!({ pylon: 'metrics:request', id } satisfies Message);
    }).finally(() => waiting.delete(id));
    return merged ?? local.render();
  };
  return { ...local, render };
}

/** In the primary: answer workers' `metrics:request` with every live worker's metrics merged. */
export function serveClusterMetrics(timeoutMs = CLUSTER_METRICS_TIMEOUT_MS): void {
  const collections = new Map<number, { parts: Snapshot[]; expected: number; done: () => void }>();
  let next = 0;

  const collect = (): Promise<Snapshot[]> => {
    const workers = Object.values(cluster.workers ?? {}).filter(
      (worker): worker is Worker => worker?.isConnected() === true,
    );
    const id = ++next;
    return new Promise<Snapshot[]>((resolve) => {
      const parts: Snapshot[] = [];
      const finish = () => {
        clearTimeout(timer);
        collections.delete(id);
        resolve(parts);
      };
      const timer = setTimeout(finish, timeoutMs);
      collections.set(id, { parts, expected: workers.length, done: finish });
      for (const worker of workers) worker.send({ pylon: 'metrics:collect', id } satisfies Message);
      if (workers.length === 0) finish();
    });
  };

  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage(message)) return;
    if (message.pylon === 'metrics:part') {
      const collection = collections.get(message.id);
      if (!collection) return;
      collection.parts.push(message.snapshot);
      if (collection.parts.length === collection.expected) collection.done();
    } else if (message.pylon === 'metrics:request') {
      void collect()
        .then((parts) => AggregatorRegistry.aggregate(parts).metrics())
        .then((text) => {
          if (worker.isConnected())
            worker.send({ pylon: 'metrics:result', id: message.id, text } satisfies Message);
        });
    }
  });
}
