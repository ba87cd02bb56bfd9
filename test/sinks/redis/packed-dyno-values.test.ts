import { describe, expect, it } from 'vitest';
import {
  type DynoWindowDelta,
  emptyDynoDelta,
  mergeDynoDelta,
} from '../../../src/actors/dyno-flush-batch.js';
import { advanceDynoState, emptyDynoState } from '../../../src/actors/dyno-state.js';
import { decodeMsgpack } from '../../../src/sinks/redis/msgpack.js';
import {
  packDynoLoad,
  packDynoMemory,
  packDynoState,
  processTypeOf,
  unpackDynoDelta,
  unpackDynoState,
} from '../../../src/sinks/redis/packed-dyno-values.js';
import { packCodes } from '../../../src/sinks/redis/packed-values.js';

const T = 1_796_000_000_000;

function delta(fields: Partial<DynoWindowDelta>): DynoWindowDelta {
  return { ...emptyDynoDelta(10, T / 1000, 'a', 'web', 'web.1'), ...fields };
}

const sample = delta({
  memorySamples: 2,
  memoryTotalSumMb: 700.25,
  memoryTotalMaxMb: 400.25,
  memoryTotalLastMb: 300,
  memoryRssSumMb: 680,
  memoryRssMaxMb: 390,
  memoryRssLastMb: 290,
  memorySwapMaxMb: 10.5,
  memorySwapLastMb: 10,
  memoryQuotaMb: 512,
  memoryLastMs: T + 9000,
  loadSamples: 3,
  load1mSum: 1.5,
  load1mMax: 0.9,
  load1mLast: 0.1,
  loadLastMs: T + 8000,
  events: { R14: 2, restart: 1 },
});

describe('packed dyno values', () => {
  it('round-trip a window delta through its three fields, in the documented order', () => {
    const m = packDynoMemory(sample) as Buffer;
    const l = packDynoLoad(sample) as Buffer;
    expect(decodeMsgpack(m)).toEqual([2, 700.25, 400.25, 300, 680, 390, 290, 10.5, 10, 512, T + 9000]);
    expect(decodeMsgpack(l)).toEqual([3, 1.5, 0.9, 0.1, T + 8000]);
    const back = unpackDynoDelta(delta({}), { m, l, e: packCodes(sample.events) as Buffer });
    expect(back).toEqual(sample);
  });

  it('write no field for a kind without samples or events', () => {
    expect(packDynoMemory(delta({ loadSamples: 1 }))).toBe('');
    expect(packDynoLoad(delta({ memorySamples: 1 }))).toBe('');
    expect(packCodes({})).toBe('');
    expect(unpackDynoDelta(delta({}), {})).toEqual(delta({}));
  });

  it('refuse a field of the wrong shape', () => {
    expect(() => unpackDynoDelta(delta({}), { m: packDynoLoad(sample) as Buffer })).toThrow(
      expect.objectContaining({ code: 'RM_ERR_DECODE' }),
    );
    expect(() => unpackDynoState(packDynoLoad(sample) as Buffer)).toThrow(
      expect.objectContaining({ code: 'RM_ERR_DECODE' }),
    );
  });

  it('keep the newest sample in the state, as mergeDynoDelta keeps "last" (a tie: the later one; quota only if > 0)', () => {
    const s = advanceDynoState(emptyDynoState(), sample);
    expect(s).toEqual({
      memoryLastMs: T + 9000,
      memoryTotalMb: 300,
      memoryRssMb: 290,
      memorySwapMb: 10,
      memoryQuotaMb: 512,
      loadLastMs: T + 8000,
      load1m: 0.1,
    });
    advanceDynoState(s, { ...sample, memoryTotalLastMb: 1, memoryLastMs: T + 1, loadSamples: 0 });
    expect(s.memoryTotalMb).toBe(300);
    advanceDynoState(s, { ...sample, memoryTotalLastMb: 333, memoryQuotaMb: 0 });
    expect(s).toMatchObject({ memoryTotalMb: 333, memoryQuotaMb: 512 });
    // a stored state merges the same way (the reader across partitions)
    const other = { ...emptyDynoState(), loadLastMs: T + 9500, load1m: 2 };
    expect(advanceDynoState({ ...s }, other)).toEqual({ ...s, loadLastMs: T + 9500, load1m: 2 });
    expect(unpackDynoState(packDynoState(s))).toEqual(s);
    // and agrees with the window merge
    const merged = mergeDynoDelta(delta({}), sample);
    expect(merged.memoryTotalLastMb).toBe(advanceDynoState(emptyDynoState(), sample).memoryTotalMb);
  });

  it('derive the process type as the platform parser does', () => {
    expect(
      ['web.1', 'run.4821', 'worker', 'overflow', 'logplex', 'a.b.12', 'web.x', 'web.'].map(processTypeOf),
    ).toEqual(['web', 'run', 'worker', 'overflow', 'logplex', 'a.b', 'web.x', 'web.']);
  });
});
