import type { Registry } from 'prom-client';

/** One labelled series of a histogram: a bucket count per bound, their sum and count. */
export interface HistogramSeries {
  observe(value: number): void;
}

interface Series {
  labels: Readonly<Record<string, string>>;
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram whose series are made once and observed without any label work.
 * prom-client's own `Histogram` validates and hashes the label set on every `observe`, even
 * through a child from `labels()`; on the hot path (every request, every SQL statement) that cost
 * more than some of the statements it timed. Here a series is an array of per-bucket counts kept
 * by the caller: observing is a bound search and three increments. It is exposed through the
 * same registry, in the text format prom-client writes for its histograms (cumulative `_bucket`
 * lines with `le` first, then `_sum` and `_count`), so scrapes and dashboards see no difference.
 */
export class SeriesHistogram {
  private readonly series: Series[] = [];

  constructor(
    registry: Registry,
    private readonly options: { name: string; help: string; buckets: readonly number[] },
  ) {
    const { name, help } = options;
    registry.registerMetric({
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: this.values() }),
    } as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** A new series for these labels (the caller keeps it; asking twice makes two series). */
  labels(labels: Readonly<Record<string, string>>): HistogramSeries {
    const buckets = this.options.buckets;
    const entry: Series = { labels, counts: new Float64Array(buckets.length + 1), sum: 0, count: 0 };
    this.series.push(entry);
    return {
      observe(value) {
        let i = 0;
        while (i < buckets.length && value > buckets[i]!) i++;
        entry.counts[i]! += 1;
        entry.sum += value;
        entry.count += 1;
      },
    };
  }

  private values() {
    const { name, buckets } = this.options;
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const entry of this.series) {
      if (entry.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i <= buckets.length; i++) {
        cumulative += entry.counts[i]!;
        const le = i < buckets.length ? buckets[i]! : '+Inf';
        values.push({ metricName: `${name}_bucket`, labels: { le, ...entry.labels }, value: cumulative });
      }
      values.push({ metricName: `${name}_sum`, labels: { ...entry.labels }, value: entry.sum });
      values.push({ metricName: `${name}_count`, labels: { ...entry.labels }, value: entry.count });
    }
    return values;
  }
}

/** A counter series: one number, no label work per increment. */
export interface CounterSeries {
  inc(): void;
}

/**
 * A Prometheus counter with the same per-series layout as `SeriesHistogram` (prom-client's
 * `Counter` also hashes its labels on every `inc`, child or not).
 */
export class SeriesCounter {
  private readonly series: Array<{ labels: Readonly<Record<string, string>>; value: number }> = [];

  constructor(registry: Registry, options: { name: string; help: string }) {
    const { name, help } = options;
    registry.registerMetric({
      name,
      help,
      type: 'counter',
      aggregator: 'sum',
      get: async () => ({
        name,
        help,
        type: 'counter',
        aggregator: 'sum',
        values: this.series
          .filter((entry) => entry.value > 0)
          .map(({ labels, value }) => ({ labels, value })),
      }),
    } as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** A new series for these labels (the caller keeps it; asking twice makes two series). */
  labels(labels: Readonly<Record<string, string>>): CounterSeries {
    const entry = { labels, value: 0 };
    this.series.push(entry);
    return {
      inc() {
        entry.value += 1;
      },
    };
  }
}
