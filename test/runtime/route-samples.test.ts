import { describe, expect, it } from 'vitest';
import type { FlushBatch, WindowDelta } from '../../src/actors/flush-batch.js';
import { sampleRoutes, sparseQuantiles } from '../../src/runtime/route-samples.js';
import { windowDelta } from '../support/window-delta.js';

function delta(fields: Partial<WindowDelta>): WindowDelta {
  return windowDelta({ app: 'a.herokuapp.com', ...fields });
}

function batch(deltas: WindowDelta[]): FlushBatch {
  return {
    topic: 't',
    partition: 0,
    epoch: 1,
    fromOffset: '0',
    nextOffset: '1',
    deltas,
    overflowed: 0,
    late: 0,
  };
}

describe('sparseQuantiles', () => {
  it('finds the lowest bucket whose cumulative count reaches q% of the total', () => {
    // 100 values: 90 × 10 ms, 9 × 100 ms, 1 × 1000 ms
    expect(sparseQuantiles('10:90,100:9,1000:1', [50, 90, 95, 99, 100])).toEqual([10, 10, 100, 100, 1000]);
    expect(sparseQuantiles('', [50])).toEqual([0]);
  });
});

describe('sampleRoutes', () => {
  it('sums a route over the windows of a flush at the finest resolution and merges its histograms', () => {
    const samples = sampleRoutes(
      batch([
        delta({
          windowStart: 0,
          count: 2,
          serviceSumMs: 30,
          serviceCount: 2,
          serviceMaxMs: 20,
          serviceHistogram: '10:1,20:1',
        }),
        delta({
          windowStart: 10,
          count: 2,
          serviceSumMs: 1020,
          serviceCount: 2,
          serviceMaxMs: 1000,
          serviceHistogram: '20:1,1000:1',
          statusClasses: [0, 1, 0, 0, 1, 0],
        }),
        // the roll-up of the same records must not be counted again
        delta({
          resolutionSeconds: 60,
          count: 4,
          serviceSumMs: 1050,
          serviceCount: 4,
          serviceHistogram: '10:1,20:2,1000:1',
        }),
      ]),
      10,
    );
    expect(samples).toEqual([
      {
        app: 'a.herokuapp.com',
        route: 'GET /',
        count: 4,
        serviceSumMs: 1050,
        serviceCount: 4,
        errors: 1,
        p50: 20,
        p95: 1000,
        p99: 1000,
        max: 1000,
      },
    ]);
  });

  it('keeps the busiest routes when there are more than the limit', () => {
    const samples = sampleRoutes(
      batch([
        delta({ route: 'GET /a', count: 1 }),
        delta({ route: 'GET /b', count: 5 }),
        delta({ route: 'GET /c', count: 3 }),
      ]),
      2,
    );
    expect(samples.map((s) => s.route)).toEqual(['GET /b', 'GET /c']);
    expect(sampleRoutes(batch([delta({ count: 1 })]), 0)).toEqual([]);
  });
});
