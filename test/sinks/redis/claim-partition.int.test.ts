import { describe, expect, it, onTestFinished } from 'vitest';
import { claimPartition } from '../../../src/sinks/redis/claim-partition.js';
import { flushPartition } from '../../../src/sinks/redis/flush-partition.js';
import { readOffsets } from '../../../src/sinks/redis/read-offsets.js';
import { retentionFromConfig } from '../../../src/sinks/redis/retention.js';
import { testRedis } from './test-redis.js';

const retention = retentionFromConfig({
  windowSeconds: 10,
  rollupSeconds: 60,
  windowRetentionSeconds: 3600,
  rollupRetentionSeconds: 7200,
});

describe('claimPartition', () => {
  it('increments the epoch on every claim and returns the stored next offset and watermark', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    expect(await claimPartition(redis, prefix, 'router', 3)).toEqual({
      epoch: 1,
      nextOffset: null,
      watermarkMs: null,
    });
    const second = await claimPartition(redis, prefix, 'router', 3);
    expect(second.epoch).toBe(2);
    await flushPartition(
      redis,
      prefix,
      {
        topic: 'router',
        partition: 3,
        epoch: 2,
        fromOffset: '100',
        nextOffset: '250',
        deltas: [],
        overflowed: 0,
        late: 0,
        watermarkMs: 1_714_564_800_123,
      },
      { retention },
    );
    expect(await claimPartition(redis, prefix, 'router', 3)).toEqual({
      epoch: 3,
      nextOffset: '250',
      watermarkMs: 1_714_564_800_123,
    });
    // other partitions and topics are independent
    expect((await claimPartition(redis, prefix, 'router', 4)).epoch).toBe(1);
    expect((await claimPartition(redis, prefix, 'other', 3)).epoch).toBe(1);
  });

  it('lists the stored offsets of every claimed partition', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    for (const p of [2, 0, 1]) await claimPartition(redis, prefix, 'router', p);
    await claimPartition(redis, prefix, 'router', 1);
    await flushPartition(
      redis,
      prefix,
      {
        topic: 'router',
        partition: 1,
        epoch: 2,
        fromOffset: '0',
        nextOffset: '7',
        deltas: [],
        overflowed: 0,
        late: 0,
      },
      { retention },
    );
    const offsets = await readOffsets(redis, prefix, 'router');
    expect(offsets.map((o) => [o.partition, o.epoch, o.nextOffset])).toEqual([
      [0, 1, null],
      [1, 2, '7'],
      [2, 1, null],
    ]);
    expect(offsets[1]!.updatedAtMs).toBeGreaterThan(Date.now() - 60_000);
  });
});
