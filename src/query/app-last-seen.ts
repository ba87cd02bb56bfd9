import type { Redis } from 'ioredis';
import { toRedisError } from '../sinks/redis/redis-errors.js';
import { appsKey } from '../sinks/redis/redis-keys.js';

/** Start (ms) of the app's latest flushed window, or null if routemeter has no data for it. */
export async function appLastSeen(redis: Redis, prefix: string, app: string): Promise<number | null> {
  try {
    const score = await redis.zscore(appsKey(prefix), app);
    return score === null ? null : Number(score) * 1000;
  } catch (err) {
    throw toRedisError(err, `look up ${app}`);
  }
}
