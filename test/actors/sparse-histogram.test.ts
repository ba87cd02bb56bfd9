import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLatencyHistogram } from '../../src/actors/latency-histogram.js';
import {
  addToFixedBuckets,
  decodeSparseHistogramInto,
  encodeSparseHistogram,
  mergeSparseHistograms,
  sparseQuantiles,
  sparseTotal,
  sumSparseHistograms,
} from '../../src/actors/sparse-histogram.js';

describe('sparse histogram encoding', () => {
  it('encodes non-empty buckets ascending as value, count pairs of numbers', () => {
    const h = createLatencyHistogram();
    for (const v of [0, 0, 1, 3, 3, 3, 1000]) h.recordValue(v);
    expect(encodeSparseHistogram(h)).toEqual([0, 2, 1, 1, 3, 3, 1000, 1]);
    expect(encodeSparseHistogram(createLatencyHistogram())).toEqual([]);
  });

  it("names each bucket by the library's valueFromIndex, across resized arrays", () => {
    const h = createLatencyHistogram();
    for (let v = 0; v < 2e7; v = Math.floor(v * 1.01) + 1) h.recordValue(v);
    const expected: number[] = [];
    for (let i = 0; i < h.countsArrayLength; i++) {
      if (h.getCountAtIndex(i) > 0) expected.push(h.valueFromIndex(i), h.getCountAtIndex(i));
    }
    expect(encodeSparseHistogram(h)).toEqual(expected);
  });

  it('round-trips: decoding gives the same percentiles, max bucket and count', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 120_000 }), { minLength: 1, maxLength: 300 }),
        (values) => {
          const h = createLatencyHistogram();
          for (const v of values) h.recordValue(v);
          const back = createLatencyHistogram();
          expect(decodeSparseHistogramInto(encodeSparseHistogram(h), back)).toBe(values.length);
          expect(back.totalCount).toBe(h.totalCount);
          for (const p of [0, 50, 95, 99, 100])
            expect(back.getValueAtPercentile(p)).toBe(h.getValueAtPercentile(p));
          expect(encodeSparseHistogram(back)).toEqual(encodeSparseHistogram(h));
        },
      ),
    );
  });

  it('merging encodings equals adding the histograms', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 40_000 }), { maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 40_000 }), { maxLength: 200 }),
        (a, b) => {
          const ha = createLatencyHistogram();
          const hb = createLatencyHistogram();
          for (const v of a) ha.recordValue(v);
          for (const v of b) hb.recordValue(v);
          const merged = mergeSparseHistograms(encodeSparseHistogram(ha), encodeSparseHistogram(hb));
          ha.add(hb);
          expect(merged).toEqual(encodeSparseHistogram(ha));
          expect(sparseTotal(merged)).toBe(a.length + b.length);
        },
      ),
    );
  });

  it('starts at 0 ms and at the lowest non-zero bucket alike', () => {
    const h = createLatencyHistogram();
    h.recordValue(0);
    expect(encodeSparseHistogram(h)).toEqual([0, 1]);
    h.recordValue(40_000);
    expect(encodeSparseHistogram(h)).toEqual([0, 1, 39936, 1]);
    h.reset();
    h.recordValue(299);
    h.recordValue(298);
    h.recordValue(300);
    expect(encodeSparseHistogram(h)).toEqual([298, 2, 300, 1]);
  });

  it('summing k encodings equals adding the k histograms (random data)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 200_000 })), {
            maxLength: 120,
          }),
          { minLength: 0, maxLength: 9 },
        ),
        (lists) => {
          const sum = createLatencyHistogram();
          const encoded = lists.map((values) => {
            const h = createLatencyHistogram();
            for (const v of values) h.recordValue(v);
            sum.add(h);
            return encodeSparseHistogram(h);
          });
          const copies = encoded.map((e) => [...e]);
          const got = sumSparseHistograms(encoded);
          expect(got).toEqual(encodeSparseHistogram(sum));
          expect(sparseTotal(got)).toBe(lists.reduce((n, l) => n + l.length, 0));
          expect(encoded).toEqual(copies); // inputs untouched
          // with a longer scratch and a prefix of the lists
          if (encoded.length > 0) {
            const prefix = createLatencyHistogram();
            for (const v of lists.slice(0, -1).flat()) prefix.recordValue(v);
            expect(sumSparseHistograms(encoded, encoded.length - 1, new Array(20))).toEqual(
              encodeSparseHistogram(prefix),
            );
          }
        },
      ),
    );
  });

  it('finds the lowest bucket whose cumulative count reaches q% of the total', () => {
    // 100 values: 90 × 10 ms, 9 × 100 ms, 1 × 1000 ms
    expect(sparseQuantiles([10, 90, 100, 9, 1000, 1], [50, 90, 95, 99, 100])).toEqual([
      10, 10, 100, 100, 1000,
    ]);
    expect(sparseQuantiles([], [50])).toEqual([0]);
  });

  it('adds counts into fixed upper bounds (le), the last slot being +Inf', () => {
    const into = [0, 0, 0, 0];
    addToFixedBuckets([0, 1, 1, 2, 2, 3, 10, 4, 11, 5, 99, 6, 5000, 7], [1, 10, 100], into);
    expect(into).toEqual([3, 7, 11, 7]);
    addToFixedBuckets([100, 1], [1, 10, 100], into);
    expect(into).toEqual([3, 7, 12, 7]);
  });

  it('fixed buckets hold every count, and each value at most one bound too low (HDR bucket width)', () => {
    const bounds = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 60_000 }), { maxLength: 300 }), (values) => {
        const h = createLatencyHistogram();
        for (const v of values) h.recordValue(v);
        const into = new Array<number>(bounds.length + 1).fill(0);
        addToFixedBuckets(encodeSparseHistogram(h), bounds, into);
        expect(into.reduce((a, b) => a + b, 0)).toBe(values.length);
        // exact for values a bound cannot split inside one HDR bucket: below 256 ms every bucket is 1 ms wide
        const exactBelow10 = values.filter((v) => v <= 10).length;
        expect(into.slice(0, 4).reduce((a, b) => a + b, 0)).toBe(exactBelow10);
      }),
    );
  });
});
