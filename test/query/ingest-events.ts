import { PartitionAggregator } from '../../src/actors/partition-aggregator.js';
import type { RouterEvent } from '../../src/logplex/router-event.js';
import { claimPartition } from '../../src/sinks/redis/claim-partition.js';
import { flushPartition } from '../../src/sinks/redis/flush-partition.js';
import type { RedisClient } from '../../src/sinks/redis/redis-client.js';
import { retentionFromConfig } from '../../src/sinks/redis/retention.js';

/** Test support (not a test file): the write path from events to Redis, without Kafka. */
export const runtime = {
  windowSeconds: 10,
  rollupSeconds: 60,
  windowRetentionSeconds: 3600 * 6,
  rollupRetentionSeconds: 86_400,
  allowedLatenessSeconds: 3600,
  routeCapPerApp: 500,
  routePatterns: [],
};

/** Flushes events through `partitions` aggregators (round-robin), several batches each. */
export async function ingest(
  redis: RedisClient,
  prefix: string,
  events: RouterEvent[],
  partitions = 3,
): Promise<void> {
  const retention = retentionFromConfig(runtime);
  for (let p = 0; p < partitions; p++) {
    const mine = events.filter((_, i) => i % partitions === p);
    const agg = PartitionAggregator.fromConfig(runtime);
    const { epoch } = await claimPartition(redis, prefix, 'router', p);
    let from = 0;
    for (let i = 0; i < mine.length; i += 500) {
      for (const ev of mine.slice(i, i + 500)) agg.record(ev);
      const next = Math.min(mine.length, i + 500);
      await flushPartition(
        redis,
        prefix,
        {
          ...agg.drain(),
          topic: 'router',
          partition: p,
          epoch,
          fromOffset: String(from),
          nextOffset: String(next),
        },
        { retention },
      );
      from = next;
    }
  }
}
