import type { RedisClient } from './redis-client.js';
import { toRedisError } from './redis-errors.js';
import { offsetKey, parsePartitionMember, partitionsKey } from './redis-keys.js';

export interface StoredOffset {
  partition: number;
  /** next record to aggregate, null if never flushed */
  nextOffset: string | null;
  /** the current owner's epoch (0 if none) */
  epoch: number;
  watermarkMs: number | null;
  /** Redis server time of the last flush or advance, ms */
  updatedAtMs: number | null;
}

/**
 * The stored offset state of every partition ever claimed on `topic`, by partition
 * (for lag tools and tests). One HGETALL per partition, issued together: on Redis
 * Cluster each goes to the node of its partition's slot (a pipeline could not span
 * nodes), and auto-pipelining batches them per node.
 */
export async function readOffsets(
  redis: RedisClient,
  prefix: string,
  topic: string,
): Promise<StoredOffset[]> {
  try {
    const partitions = (await redis.smembers(partitionsKey(prefix)))
      .map(parsePartitionMember)
      .filter((m) => m.topic === topic)
      .map((m) => m.partition)
      .sort((a, b) => a - b);
    const hashes = await Promise.all(partitions.map((p) => redis.hgetall(offsetKey(prefix, topic, p))));
    return partitions.map((partition, i) => {
      const h = hashes[i]!;
      return {
        partition,
        nextOffset: h.next ?? null,
        epoch: Number(h.epoch ?? 0),
        watermarkMs: h.wm === undefined ? null : Number(h.wm),
        updatedAtMs: h.at === undefined ? null : Number(h.at),
      };
    });
  } catch (err) {
    throw toRedisError(err, `read offsets of ${topic}`);
  }
}
