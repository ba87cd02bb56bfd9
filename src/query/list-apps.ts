import type { Redis } from 'ioredis';
import { toRedisError } from '../sinks/redis/redis-errors.js';
import { appsKey } from '../sinks/redis/redis-keys.js';

export interface AppSummary {
  app: string;
  /** start of the latest window flushed for the app (event time), ms */
  lastSeenMs: number;
}

/** Apps with stored data, most recently seen first. */
export async function listApps(redis: Redis, prefix: string): Promise<AppSummary[]> {
  try {
    const flat = await redis.zrevrange(appsKey(prefix), 0, -1, 'WITHSCORES');
    const out: AppSummary[] = [];
    for (let i = 0; i < flat.length; i += 2)
      out.push({ app: flat[i]!, lastSeenMs: Number(flat[i + 1]) * 1000 });
    return out;
  } catch (err) {
    throw toRedisError(err, 'list apps');
  }
}
