import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesCounter, SeriesHistogram } from '../../src/metrics/series-metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];

describe('series metrics', () => {
  it('expose exactly what prom-client writes for the same observations', async () => {
    const reference = new Registry();
    const ours = new Registry();
    const histogram = new Histogram({
      name: 'h_seconds',
      help: 'help',
      labelNames: ['route', 'status'] as const,
      buckets: BUCKETS,
      registers: [reference],
    });
    const counter = new Counter({
      name: 'c_total',
      help: 'help',
      labelNames: ['route'] as const,
      registers: [reference],
    });
    const seriesHistogram = new SeriesHistogram(ours, { name: 'h_seconds', help: 'help', buckets: BUCKETS });
    const seriesCounter = new SeriesCounter(ours, { name: 'c_total', help: 'help' });

    const a = { route: '/token', status: '200' };
    const b = { route: '/a "quoted" \\ route', status: '401' };
    const ha = seriesHistogram.labels(a);
    const hb = seriesHistogram.labels(b);
    seriesHistogram.labels({ route: '/never', status: '200' }); // no observation: no lines
    const ca = seriesCounter.labels({ route: a.route });
    seriesCounter.labels({ route: '/never' });
    // On a bound, below the first, between, above the last.
    for (const value of [0.001, 0.0002, 0.05, 3, 0.01]) {
      histogram.observe(a, value);
      ha.observe(value);
      counter.inc({ route: a.route });
      ca.inc();
    }
    histogram.observe(b, 0.5);
    hb.observe(0.5);

    expect(await ours.metrics()).toBe(await reference.metrics());
    expect(await ours.metrics()).toContain('h_seconds_bucket{le="0.001",route="/token",status="200"} 2');
    expect(await ours.metrics()).toContain('h_seconds_bucket{le="+Inf",route="/token",status="200"} 5');
  });
});
