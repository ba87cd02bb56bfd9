import type { RedisClient } from '../sinks/redis/redis-client.js';
import { toRedisError } from '../sinks/redis/redis-errors.js';
import { APP_INDEXES, allPartitionTags } from './find-app-partitions.js';

/**
 * Start (ms) of the app's latest flushed window, router or dyno, over every partition's
 * apps indexes (`{p}apps:{t:P}` and `{p}dapps:{t:P}`), or null if routemeter has no data
 * for it (one ZSCORE per partition and index, issued together).
 */
export async function appLastSeen(redis: RedisClient, prefix: string, app: string): Promise<number | null> {
  try {
    const tags = await allPartitionTags(redis, prefix);
    const scores = await Promise.all(
      tags.flatMap((tag) => APP_INDEXES.map((key) => redis.zscore(key(prefix, tag), app))),
    );
    let latest: number | null = null;
    for (const s of scores) if (s !== null && (latest === null || Number(s) > latest)) latest = Number(s);
    return latest === null ? null : latest * 1000;
  } catch (err) {
    throw toRedisError(err, `look up ${app}`);
  }
}
