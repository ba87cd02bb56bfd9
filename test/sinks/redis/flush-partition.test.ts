import { describe, expect, it } from 'vitest';
import type { FlushBatch, WindowDelta } from '../../../src/actors/flush-batch.js';
import { compareOffsets } from '../../../src/sinks/redis/flush-outcome.js';
import { encodeFlush, flushPartition } from '../../../src/sinks/redis/flush-partition.js';
import { retentionFromConfig, ttlFor } from '../../../src/sinks/redis/retention.js';

const retention = retentionFromConfig({
  windowSeconds: 10,
  rollupSeconds: 60,
  windowRetentionSeconds: 100,
  rollupRetentionSeconds: 1000,
});

function delta(fields: Partial<WindowDelta>): WindowDelta {
  return {
    resolutionSeconds: 10,
    windowStart: 1_700_000_000,
    app: 'a',
    route: 'GET /',
    count: 1,
    serviceSumMs: 5,
    serviceCount: 1,
    serviceMaxMs: 5,
    connectSumMs: 0,
    connectCount: 1,
    bytes: 10,
    statusClasses: [0, 1, 0, 0, 0, 0],
    codes: {},
    serviceHistogram: [5, 1],
    connectHistogram: [0, 1],
    ...fields,
  };
}

const batch = (fields: Partial<FlushBatch>): FlushBatch => ({
  topic: 'router',
  partition: 2,
  epoch: 3,
  fromOffset: '10',
  nextOffset: '20',
  deltas: [],
  overflowed: 0,
  late: 0,
  ...fields,
});

describe('encodeFlush', () => {
  it('groups deltas by window hash: one key pair and one TTL per group, five values per delta', () => {
    const { keys, args, windows } = encodeFlush(
      'p:',
      batch({
        watermarkMs: 123,
        deltas: [
          delta({}),
          delta({ route: 'POST /x', codes: { H12: 1 } }),
          delta({ resolutionSeconds: 60, windowStart: 1_699_999_980 }),
        ],
      }),
      retention,
    );
    expect(windows).toBe(2);
    expect(keys).toEqual([
      'p:off:{router:2}',
      'p:apps:{router:2}',
      'p:w:{router:2}:10:a:1700000000',
      'p:wi:{router:2}:10:a',
      'p:w:{router:2}:60:a:1699999980',
      'p:wi:{router:2}:60:a',
    ]);
    expect(args.slice(0, 6)).toEqual([3, '10', '20', 123, 1000, 2]);
    expect(args.slice(6, 10)).toEqual(['a', 1_700_000_000, 100, 2]);
    expect(args[10]).toBe('GET /');
    expect(args[12]).toBe(''); // no codes
    expect(args[15]).toBe('POST /x');
    expect(Buffer.isBuffer(args[17])).toBe(true); // codes
    expect(args.slice(20, 24)).toEqual(['a', 1_699_999_980, 1000, 1]);
    expect(args.length).toBe(6 + 4 + 2 * 5 + 4 + 5);
  });

  it('sends an empty watermark when the batch has none (the stored one is kept)', () => {
    expect(encodeFlush('p:', batch({}), retention).args[3]).toBe('');
  });

  it('refuses a resolution without a retention', () => {
    expect(() => encodeFlush('p:', batch({ deltas: [delta({ resolutionSeconds: 30 })] }), retention)).toThrow(
      /no retention configured for resolution 30s/,
    );
  });
});

describe('flushPartition validation', () => {
  it.each([
    ['epoch 0', { epoch: 0 }, /epoch/],
    ['a non-decimal offset', { fromOffset: '1e3' }, /fromOffset/],
    ['a leading zero', { nextOffset: '020' }, /nextOffset/],
    ['next before from', { fromOffset: '30' }, /nextOffset 20 < fromOffset 30/],
  ])('rejects %s before talking to Redis', async (_, fields, message) => {
    const never = {} as never;
    await expect(flushPartition(never, 'p:', batch(fields), { retention })).rejects.toThrow(message);
  });
});

describe('offsets and retention', () => {
  it('compares decimal offsets numerically, at any length', () => {
    expect(compareOffsets('9', '10')).toBeLessThan(0);
    expect(compareOffsets('9223372036854775807', '9223372036854775806')).toBeGreaterThan(0);
    expect(compareOffsets('42', '42')).toBe(0);
  });

  it('maps each resolution to its TTL; equal resolutions keep the longer one', () => {
    expect(ttlFor(retention, 10)).toBe(100);
    expect(ttlFor(retention, 60)).toBe(1000);
    const same = retentionFromConfig({
      windowSeconds: 60,
      rollupSeconds: 60,
      windowRetentionSeconds: 100,
      rollupRetentionSeconds: 50,
    });
    expect(ttlFor(same, 60)).toBe(100);
  });
});
