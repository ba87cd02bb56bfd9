import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../../config/config.js';

/**
 * Builds an ioredis client from `REDIS_URL`. With `rediss://`, TLS verifies the
 * server certificate unless `REDIS_TLS_VERIFY=false`: Heroku Data for Redis
 * presents a self-signed certificate, so Heroku apps set that (as Heroku's
 * own guide does).
 *
 * Commands fail after a bounded wait instead of queueing forever while Redis is
 * away: the runtime keeps its batch and retries on its own schedule, with
 * backpressure, and the drain answers 503 so that logplex retries.
 */
export function createRedis(config: Pick<Config, 'redis'>, overrides: RedisOptions = {}): Redis {
  const tls = config.redis.url.startsWith('rediss://')
    ? { tls: { rejectUnauthorized: config.redis.tlsVerify } }
    : {};
  const { client } = config.redis;
  return new Redis(config.redis.url, {
    maxRetriesPerRequest: client.maxRetriesPerRequest,
    connectTimeout: client.connectTimeoutMs,
    commandTimeout: client.commandTimeoutMs,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * client.reconnectStepMs, client.reconnectMaxMs),
    ...tls,
    ...overrides,
  });
}
