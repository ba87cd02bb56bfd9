import type { RedisClient } from './redis-client.js';
import { routemeterCommands } from './redis-commands.js';
import { toRedisError } from './redis-errors.js';
import { offsetKey, partitionMember, partitionsKey } from './redis-keys.js';

export interface PartitionClaim {
  /** fencing token: pass it with every flush and advance of this ownership */
  epoch: number;
  /** where the previous owner stopped (the next record to process), or null if never flushed */
  nextOffset: string | null;
  /** the partition's watermark (ms) at the last flush, or null; restore it into the aggregator */
  watermarkMs: number | null;
}

/**
 * Takes ownership of a partition: one atomic step increments its epoch (the
 * newest owner wins; every older owner's next flush is fenced) and returns the
 * stored next offset and watermark. The caller consumes from `nextOffset`
 * (clamped to the log start, see advanceOffset) or, when null, from its own
 * starting policy; the first flush then stores where it started.
 */
export async function claimPartition(
  redis: RedisClient,
  prefix: string,
  topic: string,
  partition: number,
): Promise<PartitionClaim> {
  let reply: Array<string | number>;
  try {
    await redis.sadd(partitionsKey(prefix), partitionMember(topic, partition));
    reply = await routemeterCommands(redis).rmClaim(offsetKey(prefix, topic, partition));
  } catch (err) {
    throw toRedisError(err, `claim ${topic}/${partition}`);
  }
  const [epoch, next, wm] = reply;
  return {
    epoch: Number(epoch),
    nextOffset: next === '' ? null : String(next),
    watermarkMs: wm === '' ? null : Number(wm),
  };
}
