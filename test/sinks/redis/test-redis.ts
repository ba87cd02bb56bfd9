import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { loadConfig } from '../../../src/config/config.js';
import { createRedis, isClusterUrl, type RedisClient } from '../../../src/sinks/redis/redis-client.js';

/**
 * A client for the real Redis (REDIS_URL: a single Redis, default 127.0.0.1:6379, or
 * a `redis+cluster://` URL) and a key prefix unique to one test; `cleanup` deletes
 * every key under that prefix and closes the client. Register it next to the setup:
 * `onTestFinished(cleanup)`.
 */
export interface TestRedis {
  redis: RedisClient;
  prefix: string;
  cleanup: () => Promise<void>;
}

export const testRedisUrl = (): string => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** true when the tests run against a Redis Cluster (the `cluster` CI pass) */
export const onCluster = (): boolean => isClusterUrl(testRedisUrl());

export function testRedis(): TestRedis {
  const redis = createRedis({ redis: { ...loadConfig({ REDIS_URL: testRedisUrl() }).redis, prefix: '' } });
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

/**
 * Deletes every key under `prefix`. SCAN is per node, so on a cluster it walks each
 * primary; DEL goes key by key (keys of a test's prefix live in many slots). Only
 * tests scan: the product never does (docs/redis-keys.md).
 */
export async function deletePrefix(redis: RedisClient, prefix: string): Promise<void> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      await Promise.all(keys.map((k) => redis.del(k)));
      cursor = next;
    } while (cursor !== '0');
  }
}
