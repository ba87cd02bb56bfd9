import type { Redis } from 'ioredis';
import { toRedisError } from './redis-errors.js';
import { offsetKey, partitionsKey } from './redis-keys.js';

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

/** The stored offset state of every partition ever claimed on `topic`, by partition (for lag tools and tests). */
export async function readOffsets(redis: Redis, prefix: string, topic: string): Promise<StoredOffset[]> {
  try {
    const members = await redis.smembers(partitionsKey(prefix, topic));
    const partitions = members.map(Number).sort((a, b) => a - b);
    const pipeline = redis.pipeline();
    for (const p of partitions) pipeline.hgetall(offsetKey(prefix, topic, p));
    const replies = (await pipeline.exec()) ?? [];
    return partitions.map((partition, i) => {
      const [err, raw] = replies[i] ?? [null, {}];
      if (err) throw err;
      const h = raw as Record<string, string>;
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
