import { describe, expect, it } from 'vitest';
import { createLatencyHistogram } from '../../../src/actors/latency-histogram.js';
import {
  histogramToText,
  packCodes,
  packHistogram,
  packStats,
  unpackCodes,
  unpackHistogramInto,
  unpackStats,
} from '../../../src/sinks/redis/packed-values.js';

const delta = {
  resolutionSeconds: 10,
  windowStart: 0,
  app: 'a',
  route: 'GET /',
  count: 3,
  serviceSumMs: 1.5,
  serviceCount: 2,
  serviceMaxMs: 1,
  connectSumMs: 0,
  connectCount: 2,
  bytes: 2 ** 40,
  statusClasses: [0, 2, 0, 0, 1, 0] as [number, number, number, number, number, number],
  codes: { '503': 1, H12: 1 },
  serviceHistogram: [0, 1, 1, 1],
  connectHistogram: [0, 2],
};

describe('packed values', () => {
  it('packs the stats vector in STATS order, exactly', () => {
    expect(unpackStats(packStats(delta))).toEqual([3, 1.5, 2, 1, 0, 2, 2 ** 40, 0, 2, 0, 0, 1, 0]);
  });

  it('writes max 0 when no request had a service time', () => {
    expect(unpackStats(packStats({ ...delta, serviceCount: 0, serviceMaxMs: 99 }))[3]).toBe(0);
  });

  it('pads stats written with fewer fields (older writers)', () => {
    expect(unpackStats(Buffer.from('93010203', 'hex'))).toEqual([1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('packs codes as a map and reads back an empty Lua table', () => {
    expect(packCodes({})).toBe('');
    expect(unpackCodes(packCodes(delta.codes) as Buffer)).toEqual({ '503': 1, H12: 1 });
    expect(unpackCodes(Buffer.from('90', 'hex'))).toEqual({});
  });

  it('packs value/count pairs as a msgpack array of the same numbers and back', () => {
    expect(packHistogram([])).toBe('');
    const packed = packHistogram([0, 41, 1, 12, 3, 1, 1536, 1]) as Buffer;
    expect(packed.toString('hex')).toBe('9800290' + '10c0301cd060001');
    expect(histogramToText(packed)).toBe('0:41,1:12,3:1,1536:1');
    const h = createLatencyHistogram();
    expect(unpackHistogramInto(packed, h)).toBe(55);
    expect(h.getValueAtPercentile(100)).toBe(1543);
    expect(() => unpackHistogramInto(Buffer.from('9101', 'hex'), h)).toThrow(/bad histogram/);
  });
});
