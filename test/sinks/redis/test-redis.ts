import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * A client for the real Redis (REDIS_URL, default 127.0.0.1:6379) and a key
 * prefix unique to one test; `cleanup` deletes every key under that prefix
 * and closes the client. Register it next to the setup: `onTestFinished(cleanup)`.
 */
export interface TestRedis {
  redis: Redis;
  prefix: string;
  cleanup: () => Promise<void>;
}

export function testRedis(): TestRedis {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: false });
  const prefix = `rmtest:${randomUUID().slice(0, 8)}:`;
  return {
    redis,
    prefix,
    cleanup: async () => {
      await deletePrefix(redis, prefix);
      await redis.quit();
    },
  };
}

export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
