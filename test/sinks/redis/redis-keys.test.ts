import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import { emptyDynoDelta } from '../../../src/actors/dyno-flush-batch.js';
import type { WindowDelta } from '../../../src/actors/flush-batch.js';
import { encodeFlush } from '../../../src/sinks/redis/flush-partition.js';
import { encodePlatformFlush } from '../../../src/sinks/redis/flush-platform-partition.js';
import {
  offsetKey,
  parsePartitionMember,
  partitionMember,
  partitionTag,
} from '../../../src/sinks/redis/redis-keys.js';
import { retentionFromConfig } from '../../../src/sinks/redis/retention.js';

const retention = retentionFromConfig({
  windowSeconds: 10,
  rollupSeconds: 60,
  windowRetentionSeconds: 100,
  rollupRetentionSeconds: 1000,
});

function delta(app: string, resolutionSeconds: number, windowStart: number): WindowDelta {
  return {
    resolutionSeconds,
    windowStart,
    app,
    route: 'GET /',
    count: 1,
    serviceSumMs: 1,
    serviceCount: 1,
    serviceMaxMs: 1,
    connectSumMs: 0,
    connectCount: 1,
    bytes: 1,
    statusClasses: [0, 1, 0, 0, 0, 0],
    codes: {},
    serviceHistogram: [1, 1],
    connectHistogram: [0, 1],
  };
}

describe('the key schema on Redis Cluster', () => {
  it('puts every key of one flush in the slot of its partition, and partitions in different slots', () => {
    const slotsOfPartitions = new Set<number>();
    for (const partition of [0, 1, 7, 31]) {
      const { keys } = encodeFlush(
        'rm:',
        {
          topic: 'tenant-1.router-logs',
          partition,
          epoch: 1,
          fromOffset: '0',
          nextOffset: '9',
          overflowed: 0,
          late: 0,
          deltas: ['a.example.com', 'b.example.com', 'x{y}.example.com'].flatMap((app) => [
            delta(app, 10, 1_700_000_000),
            delta(app, 60, 1_699_999_980),
          ]),
        },
        retention,
      );
      expect(keys.length).toBe(2 + 2 * 6);
      const slots = new Set(keys.map((k) => calculateSlot(k)));
      expect([...slots]).toEqual([calculateSlot(offsetKey('rm:', 'tenant-1.router-logs', partition))]);
      slotsOfPartitions.add([...slots][0]!);
    }
    expect(slotsOfPartitions.size).toBe(4);
  });

  it('puts every key of one platform flush (windows, indexes, apps, current state) in its partition slot', () => {
    const deltas = ['a.example.com', 'x{y}.example.com'].flatMap((app) =>
      [10, 60].map((res) => ({
        ...emptyDynoDelta(res, 1_699_999_980, app, 'web', 'web.1'),
        memorySamples: 1,
        memoryLastMs: 1_699_999_990_000,
      })),
    );
    const { keys } = encodePlatformFlush(
      'rm:',
      {
        topic: 'platform-logs',
        partition: 3,
        epoch: 1,
        fromOffset: '0',
        nextOffset: '4',
        deltas,
        records: 4,
        overflowed: 0,
        ignored: 0,
        late: 0,
        rejected: 0,
        watermarkMs: 1_699_999_990_000,
      },
      retention,
    );
    expect(keys.length).toBe(2 + 2 * 4 + 2);
    expect(new Set(keys.map((k) => calculateSlot(k)))).toEqual(
      new Set([calculateSlot(offsetKey('rm:', 'platform-logs', 3))]),
    );
  });

  it('round-trips the members of the partitions set, whatever the topic name', () => {
    for (const topic of ['router-logs', 'a.b_c-d', 'x']) {
      expect(parsePartitionMember(partitionMember(topic, 12))).toEqual({ topic, partition: 12 });
    }
    expect(partitionTag('router-logs', 3)).toBe('{router-logs:3}');
  });
});
