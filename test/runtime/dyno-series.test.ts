import { describe, expect, it } from 'vitest';
import { emptyDynoDelta } from '../../src/actors/dyno-flush-batch.js';
import { emptyDynoSample, sampleDynos } from '../../src/runtime/dyno-samples.js';
import { DynoSeries } from '../../src/runtime/dyno-series.js';
import type { DynoSample } from '../../src/runtime/protocol.js';

const MB = 1024 * 1024;

function sample(app: string, dyno: string, fields: Partial<DynoSample>): DynoSample {
  const dot = dyno.lastIndexOf('.');
  return { ...emptyDynoSample(app, dot > 0 ? dyno.slice(0, dot) : dyno, dyno), ...fields };
}

describe('sampleDynos', () => {
  it('takes the latest sample per dyno over the finest windows and sums its events', () => {
    const w = (start: number, res: number, f: object) => ({
      ...emptyDynoDelta(res, start, 'a', 'web', 'web.1'),
      ...f,
    });
    const samples = sampleDynos({
      deltas: [
        w(0, 10, {
          memorySamples: 1,
          memoryLastMs: 5000,
          memoryTotalLastMb: 100,
          memoryQuotaMb: 512,
          events: { R14: 1 },
        }),
        w(10, 10, {
          memorySamples: 1,
          memoryLastMs: 15_000,
          memoryTotalLastMb: 300,
          loadSamples: 1,
          loadLastMs: 15_000,
          load1mLast: 2.5,
          events: { R14: 2, restart: 1 },
        }),
        // the roll-up repeats the same records: left out
        w(0, 60, { memorySamples: 2, memoryLastMs: 15_000, memoryTotalLastMb: 999, events: { R14: 3 } }),
      ],
    });
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({
      app: 'a',
      processType: 'web',
      dyno: 'web.1',
      memoryLastMs: 15_000,
      memoryTotalMb: 300,
      memoryQuotaMb: 512,
      loadLastMs: 15_000,
      load1m: 2.5,
      events: { R14: 3, restart: 1 },
    });
  });
});

describe('DynoSeries', () => {
  it('exports per app and process type the max memory, the quota, the mean load; events by bounded code', () => {
    const s = new DynoSeries(10, 60_000);
    s.add(
      sample('a', 'web.1', {
        memoryLastMs: 10,
        memoryTotalMb: 300,
        memoryRssMb: 290,
        memoryQuotaMb: 512,
        loadLastMs: 10,
        load1m: 1,
        events: { R14: 1, R42: 2 },
      }),
      0,
    );
    s.add(
      sample('a', 'web.2', {
        memoryLastMs: 12,
        memoryTotalMb: 200,
        memoryRssMb: 195,
        memorySwapMb: 5,
        loadLastMs: 12,
        load1m: 3,
        events: { restart: 1 },
      }),
      0,
    );
    // an older sample (event time) of web.1 arriving later does not replace the newer one
    s.add(sample('a', 'web.1', { memoryLastMs: 5, memoryTotalMb: 999 }), 1);
    s.add(sample('a', 'worker.1', { loadLastMs: 10, load1m: 0.5 }), 1);
    expect(s.gauges(2)).toEqual([
      {
        app: 'a',
        processType: 'web',
        memory: { totalBytes: 300 * MB, rssBytes: 290 * MB, swapBytes: 5 * MB },
        quotaBytes: 512 * MB,
        loadAverage: 2,
      },
      { app: 'a', processType: 'worker', memory: null, quotaBytes: null, loadAverage: 0.5 },
    ]);
    expect([...s.events()]).toEqual([
      { app: 'a', processType: 'web', code: 'R14', count: 1 },
      { app: 'a', processType: 'web', code: 'other', count: 2 },
      { app: 'a', processType: 'web', code: 'restart', count: 1 },
    ]);
  });

  it('caps apps (the rest under __other__) and forgets silent dynos', () => {
    const s = new DynoSeries(2, 1000);
    for (const app of ['a', 'b', 'c', 'd'])
      s.add(sample(app, 'web.1', { memoryLastMs: 1, memoryTotalMb: app.charCodeAt(0) }), 0);
    const gauges = s.gauges(500);
    expect(gauges.map((g) => g.app)).toEqual(['a', 'b', '__other__']);
    // both capped apps' web.1 are kept apart: the max is d's
    expect(gauges[2]!.memory!.totalBytes).toBe('d'.charCodeAt(0) * MB);
    s.add(sample('a', 'web.2', { memoryLastMs: 2, memoryTotalMb: 1 }), 1400);
    expect(s.gauges(1600).map((g) => [g.app, g.memory?.totalBytes])).toEqual([['a', 1 * MB]]);
  });
});
