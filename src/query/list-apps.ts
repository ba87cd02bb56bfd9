import type { RedisClient } from '../sinks/redis/redis-client.js';
import { toRedisError } from '../sinks/redis/redis-errors.js';
import { APP_INDEXES, allPartitionTags } from './find-app-partitions.js';

export interface AppSummary {
  app: string;
  /** start of the latest window flushed for the app, router or dyno (event time), ms */
  lastSeenMs: number;
}

/**
 * Apps with stored data, most recently seen first: the union of every partition's
 * apps indexes, router and dyno (one ZRANGE per partition and index, not a SCAN), keeping
 * each app's latest window. An app with only dyno data is listed like any other.
 */
export async function listApps(redis: RedisClient, prefix: string): Promise<AppSummary[]> {
  try {
    const tags = await allPartitionTags(redis, prefix);
    const lists = await Promise.all(
      tags.flatMap((tag) => APP_INDEXES.map((key) => redis.zrange(key(prefix, tag), 0, -1, 'WITHSCORES'))),
    );
    const latest = new Map<string, number>();
    for (const flat of lists) {
      for (let i = 0; i < flat.length; i += 2) {
        const app = flat[i]!;
        const start = Number(flat[i + 1]);
        if (start > (latest.get(app) ?? Number.NEGATIVE_INFINITY)) latest.set(app, start);
      }
    }
    return [...latest]
      .map(([app, start]) => ({ app, lastSeenMs: start * 1000 }))
      .sort((a, b) => b.lastSeenMs - a.lastSeenMs || (a.app < b.app ? -1 : 1));
  } catch (err) {
    throw toRedisError(err, 'list apps');
  }
}
