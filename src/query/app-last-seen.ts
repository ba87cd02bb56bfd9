import type { RedisClient } from '../sinks/redis/redis-client.js';
import { toRedisError } from '../sinks/redis/redis-errors.js';
import { partitionAppsKey } from '../sinks/redis/redis-keys.js';
import { allPartitionTags } from './find-app-partitions.js';

/**
 * Start (ms) of the app's latest flushed window over every partition's apps index,
 * or null if routemeter has no data for it (one ZSCORE per partition, issued together).
 */
export async function appLastSeen(redis: RedisClient, prefix: string, app: string): Promise<number | null> {
  try {
    const tags = await allPartitionTags(redis, prefix);
    const scores = await Promise.all(tags.map((tag) => redis.zscore(partitionAppsKey(prefix, tag), app)));
    let latest: number | null = null;
    for (const s of scores) if (s !== null && (latest === null || Number(s) > latest)) latest = Number(s);
    return latest === null ? null : latest * 1000;
  } catch (err) {
    throw toRedisError(err, `look up ${app}`);
  }
}
