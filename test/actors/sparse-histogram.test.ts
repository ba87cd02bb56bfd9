import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLatencyHistogram } from '../../src/actors/latency-histogram.js';
import {
  decodeSparseHistogramInto,
  encodeSparseHistogram,
  mergeSparseHistograms,
} from '../../src/actors/sparse-histogram.js';

describe('sparse histogram encoding', () => {
  it('encodes non-empty buckets ascending as value:count', () => {
    const h = createLatencyHistogram();
    for (const v of [0, 0, 1, 3, 3, 3, 1000]) h.recordValue(v);
    expect(encodeSparseHistogram(h)).toBe('0:2,1:1,3:3,1000:1');
    expect(encodeSparseHistogram(createLatencyHistogram())).toBe('');
  });

  it("names each bucket by the library's valueFromIndex, across resized arrays", () => {
    const h = createLatencyHistogram();
    for (let v = 0; v < 2e7; v = Math.floor(v * 1.01) + 1) h.recordValue(v);
    const expected: string[] = [];
    for (let i = 0; i < h.countsArrayLength; i++) {
      if (h.getCountAtIndex(i) > 0) expected.push(`${h.valueFromIndex(i)}:${h.getCountAtIndex(i)}`);
    }
    expect(encodeSparseHistogram(h)).toBe(expected.join(','));
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
          expect(encodeSparseHistogram(back)).toBe(encodeSparseHistogram(h));
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
          expect(merged).toBe(encodeSparseHistogram(ha));
        },
      ),
    );
  });

  it.each(['1', '1:', ':1', '1:2;3:4', 'a:1'])('rejects malformed text %j', (text) => {
    expect(() => decodeSparseHistogramInto(text, createLatencyHistogram())).toThrow(/bad sparse histogram/);
  });
});
