import type { Config } from '../config/config.js';
import { RoutemeterError } from '../errors/routemeter-error.js';
import type { RedisClient } from '../sinks/redis/redis-client.js';
import { createRedis } from '../sinks/redis/redis-client.js';
import { redactUrl } from '../telemetry/logger.js';

/**
 * Redis for a short-lived CLI command (`apps`, `top`): connects once, up front,
 * and turns "cannot connect" into one RM_ERR_REDIS_UNAVAILABLE naming REDIS_URL
 * and the address, which main.ts prints as one line on stderr. Without this,
 * ioredis retries in the background and prints "Unhandled error event" stacks.
 */
export async function connectRedis(config: Pick<Config, 'redis'>): Promise<RedisClient> {
  const redis = createRedis(config, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let lastError: Error | null = null;
  // Swallowed here: the failure is reported once, by the rejection below.
  redis.on('error', (err: Error) => {
    lastError = err;
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    const why = (lastError ?? (err as Error)).message || String(err);
    throw new RoutemeterError(
      'RM_ERR_REDIS_UNAVAILABLE',
      `cannot reach Redis at ${redactUrl(config.redis.url)} (REDIS_URL): ${why}`,
      { cause: err, details: { variable: 'REDIS_URL' } },
    );
  }
  return redis;
}
