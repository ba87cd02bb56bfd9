import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLatencyHistogram, recordLatency } from '../../src/actors/latency-histogram.js';
import { encodeSparseHistogram } from '../../src/actors/sparse-histogram.js';

describe('recordLatency', () => {
  it('fills exactly the buckets recordValue fills, with the same totals, min and max', () => {
    const value = fc.oneof(
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 0, max: 40_000 }),
      fc.integer({ min: 0, max: 0x3fff_ffff }),
      fc.integer({ min: 0x4000_0000, max: 2 ** 40 }),
      fc.double({ min: 0, max: 1e6, noNaN: true }),
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 200 }), (values) => {
        const fast = createLatencyHistogram();
        const lib = createLatencyHistogram();
        for (const v of values) {
          recordLatency(fast, v);
          lib.recordValue(v);
        }
        expect(encodeSparseHistogram(fast)).toEqual(encodeSparseHistogram(lib));
        expect(fast.totalCount).toBe(lib.totalCount);
        expect(fast.maxValue).toBe(lib.maxValue);
        expect(fast.minNonZeroValue).toBe(lib.minNonZeroValue);
        for (const p of [50, 99]) expect(fast.getValueAtPercentile(p)).toBe(lib.getValueAtPercentile(p));
      }),
      { numRuns: 300 },
    );
  });

  it('records 0 ms (connect=0ms is the common case)', () => {
    const h = createLatencyHistogram();
    recordLatency(h, 0);
    recordLatency(h, 0);
    expect(encodeSparseHistogram(h)).toEqual([0, 2]);
  });
});
