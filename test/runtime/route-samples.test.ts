import { describe, expect, it } from 'vitest';
import type { FlushBatch, WindowDelta } from '../../src/actors/flush-batch.js';
import { ROUTE_LATENCY_BUCKETS_MS, sampleRoutes } from '../../src/runtime/route-samples.js';
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

describe('sampleRoutes', () => {
  it('sums a route over the windows of a flush at the finest resolution, with its fixed latency buckets', () => {
    const samples = sampleRoutes(
      batch([
        delta({
          windowStart: 0,
          count: 2,
          serviceSumMs: 30,
          serviceCount: 2,
          serviceMaxMs: 20,
          serviceHistogram: [10, 1, 20, 1],
        }),
        delta({
          windowStart: 10,
          count: 2,
          serviceSumMs: 1020,
          serviceCount: 2,
          serviceMaxMs: 1000,
          serviceHistogram: [20, 1, 1000, 1],
          statusClasses: [0, 1, 0, 0, 1, 0],
        }),
        // the roll-up of the same records must not be counted again
        delta({
          resolutionSeconds: 60,
          count: 4,
          serviceSumMs: 1050,
          serviceCount: 4,
          serviceHistogram: [10, 1, 20, 2, 1000, 1],
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
        statusClasses: [0, 1, 0, 0, 1, 0],
        // 10 ms, 20 ms, 20 ms, 1000 ms in (5, 10], (10, 25], (500, 1000]
        buckets: ROUTE_LATENCY_BUCKETS_MS.map((le) =>
          le === 10 ? 1 : le === 25 ? 2 : le === 1000 ? 1 : 0,
        ).concat(0),
      },
    ]);
  });

  it('keeps the busiest routes when there are more than the limit and sums the rest per app', () => {
    const samples = sampleRoutes(
      batch([
        delta({ route: 'GET /a', count: 1, serviceCount: 1, serviceHistogram: [40_000, 1] }),
        delta({ route: 'GET /b', count: 5 }),
        delta({ route: 'GET /c', count: 3 }),
        delta({ app: 'b.herokuapp.com', route: 'GET /d', count: 2, statusClasses: [0, 0, 0, 0, 2, 0] }),
      ]),
      2,
    );
    expect(samples.map((s) => `${s.app} ${s.route} ${s.count}`)).toEqual([
      'a.herokuapp.com GET /b 5',
      'a.herokuapp.com GET /c 3',
      'b.herokuapp.com __other__ 2',
      'a.herokuapp.com __other__ 1',
    ]);
    expect(samples[3]!.buckets.at(-1)).toBe(1); // 40 s is above 30 s: +Inf
    expect(samples[2]!.statusClasses[4]).toBe(2);
    expect(sampleRoutes(batch([delta({ count: 1 })]), 0).map((s) => s.route)).toEqual(['__other__']);
  });
});
