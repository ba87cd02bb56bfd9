import { PlatformAggregator } from '../../src/actors/platform-aggregator.js';
import { parsePlatformLine } from '../../src/logplex/platform-line.js';
import { claimPartition } from '../../src/sinks/redis/claim-partition.js';
import { flushPlatformPartition } from '../../src/sinks/redis/flush-platform-partition.js';
import type { RedisClient } from '../../src/sinks/redis/redis-client.js';
import { retentionFromConfig } from '../../src/sinks/redis/retention.js';
import { runtime } from '../query/ingest-events.js';
import type { DynoLine } from '../support/dyno-lines.js';

/**
 * Test support (not a test file): platform lines into Redis the way the runtime writes
 * them, without Kafka: parsed, aggregated by a PlatformAggregator per partition and
 * flushed with flushPlatformPartition in several batches (a window's deltas then merge
 * in the store). Each dyno's lines go to one partition (`partitionOf`), as a drain
 * token's records do.
 */
export async function flushDynoLines(
  redis: RedisClient,
  prefix: string,
  topic: string,
  lines: readonly DynoLine[],
  partitions = 2,
  batch = 40,
): Promise<void> {
  const retention = retentionFromConfig(runtime);
  const dynos = [...new Set(lines.map((l) => l.dyno))].sort();
  const partitionOf = (dyno: string) => dynos.indexOf(dyno) % partitions;
  for (let p = 0; p < partitions; p++) {
    const mine = lines.filter((l) => partitionOf(l.dyno) === p);
    const agg = new PlatformAggregator({ ...runtime, dynoCapPerApp: 100 });
    const { epoch } = await claimPartition(redis, prefix, topic, p);
    let from = 0;
    for (let i = 0; i < mine.length; i += batch) {
      for (const l of mine.slice(i, i + batch)) {
        const ev = parsePlatformLine(l.line);
        if (ev === null) throw new Error(`unparsable test line ${l.line}`);
        agg.record(l.app, ev);
      }
      const next = Math.min(mine.length, i + batch);
      await flushPlatformPartition(
        redis,
        prefix,
        { ...agg.drain(), topic, partition: p, epoch, fromOffset: String(from), nextOffset: String(next) },
        { retention },
      );
      from = next;
    }
  }
}
