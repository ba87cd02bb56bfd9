import { describe, expect, it } from 'vitest';
import type { FlushBatch, WindowDelta } from '../../../src/actors/flush-batch.js';
import { compareOffsets } from '../../../src/sinks/redis/flush-outcome.js';
import { encodeFlush, flushPartition } from '../../../src/sinks/redis/flush-partition.js';
import { packCodes, packHistogram, packStats } from '../../../src/sinks/redis/packed-values.js';
import { retentionFromConfig, ttlFor } from '../../../src/sinks/redis/retention.js';
import { readSlab } from './flush-slab-reader.js';

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
    expect(args.length).toBe(8); // + the blob and its spans
    const groups = readSlab(args, 4);
    expect(groups.map(({ app, windowStart, ttl, deltas }) => [app, windowStart, ttl, deltas.length])).toEqual(
      [
        ['a', 1_700_000_000, 100, 2],
        ['a', 1_699_999_980, 1000, 1],
      ],
    );
    const [first, second] = groups[0]!.deltas;
    expect(first!.name).toBe('GET /');
    expect(first!.values).toEqual([packStats(delta({})), '', packHistogram([5, 1]), packHistogram([0, 1])]);
    expect(second!.name).toBe('POST /x');
    expect(second!.values[1]).toEqual(packCodes({ H12: 1 }));
    expect(groups[1]!.deltas[0]!.name).toBe('GET /');
  });

  it('writes the values of a roll-up that is its one short window once (same bytes, same spans)', () => {
    const short = delta({ codes: { '503': 1 }, serviceHistogram: [5, 1, 700, 2] });
    const rollup = { ...short, resolutionSeconds: 60, windowStart: 1_699_999_980 };
    const other = { ...short, serviceHistogram: [5, 1, 700, 2] }; // equal values, not the same arrays
    const changed = { ...short, resolutionSeconds: 60, windowStart: 1_699_999_920, count: 2 };
    const { args } = encodeFlush('p:', batch({ deltas: [short, rollup, other, changed] }), retention);
    const [g10, g60a, g60b] = readSlab(args, 4);
    const s = g10!.deltas[0]!;
    const r = g60a!.deltas[0]!;
    expect(r.values).toEqual(s.values);
    expect(r.spans.slice(2)).toEqual(s.spans.slice(2)); // the same bytes of the blob
    expect(g10!.deltas[1]!.values).toEqual(s.values);
    expect(g10!.deltas[1]!.spans.slice(2)).not.toEqual(s.spans.slice(2)); // packed again
    const c = g60b!.deltas[0]!;
    expect(c.values[0]).toEqual(packStats(changed));
    expect(c.values.slice(1)).toEqual(s.values.slice(1));
    expect(c.spans.slice(2, 4)).not.toEqual(s.spans.slice(2, 4));
  });

  it('round-trips every delta of a random batch through the slab', () => {
    const deltas: WindowDelta[] = [];
    for (let i = 0; i < 300; i++) {
      const d = delta({
        app: `app${i % 7}`,
        route: `GET /r${i % 13}/é`,
        windowStart: 1_700_000_000 + 10 * (i % 5),
        count: i,
        codes: i % 3 === 0 ? { '503': i, H12: 1 } : {},
        serviceHistogram: i % 4 === 0 ? [] : [1, i, 300, 2, 70_000, 1],
        connectHistogram: i % 5 === 0 ? [] : [0, i + 1],
      });
      deltas.push(d);
      if (i % 2 === 0) deltas.push({ ...d, resolutionSeconds: 60, windowStart: 1_699_999_980 });
    }
    const { args } = encodeFlush('p:', batch({ deltas }), retention);
    const got = readSlab(args, 4).flatMap((g) =>
      g.deltas.map((d) => [g.app, g.windowStart, d.name, ...d.values]),
    );
    const want = deltas.map((d) => [
      d.app,
      d.windowStart,
      d.route,
      packStats(d),
      packCodes(d.codes),
      packHistogram(d.serviceHistogram),
      packHistogram(d.connectHistogram),
    ]);
    const key = (row: unknown[]) => `${row[0]}|${row[1]}|${row[2]}`;
    const sort = (rows: unknown[][]) => [...rows].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sort(got)).toEqual(sort(want));
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
