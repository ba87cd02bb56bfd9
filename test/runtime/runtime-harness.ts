import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createRedis } from '../../src/config/redis-client.js';
import { readOffsets } from '../../src/sinks/redis/read-offsets.js';
import { testKafka, uniqueName, waitFor, withAdmin } from '../support/kafka.js';
import type { OracleLine } from '../support/router-lines.js';

/** Shared setup of the runtime's integration tests: config, seeding, and "is everything flushed?". */
export function runtimeConfig(topic: string, overrides: Record<string, string> = {}): Config {
  return loadConfig({
    KAFKA_URL: process.env.KAFKA_URL,
    REDIS_URL: process.env.REDIS_URL,
    ROUTER_TOPIC: topic,
    CONSUMER_GROUP: uniqueName('rt-group'),
    REDIS_PREFIX: `${uniqueName('rt')}:`,
    WORKER_THREADS: '2',
    FLUSH_INTERVAL_MS: '200',
    METRICS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    // the test data has event times in the past: accept all of it
    ALLOWED_LATENESS_SECONDS: String(365 * 24 * 3600),
    ...overrides,
  });
}

/** Produces the lines keyed by app, as the drain does; in chunks so memory stays flat. */
export async function seed(topic: string, lines: OracleLine[], chunk = 5000): Promise<void> {
  const producer = testKafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < lines.length; i += chunk) {
      await producer.send({
        topic,
        acks: -1,
        messages: lines.slice(i, i + chunk).map((l) => ({ key: l.app, value: l.line })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

export async function highWatermarks(topic: string): Promise<Map<number, string>> {
  return withAdmin(async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, o.high]));
  });
}

/** Waits until Redis's stored next offset equals the high watermark on every partition. */
export async function waitFlushed(redis: Redis, config: Config, timeoutMs = 120_000): Promise<void> {
  const highs = await highWatermarks(config.topics.router);
  await waitFor(
    async () => {
      const stored = new Map((await readOffsets(redis, config.redis.prefix, config.topics.router)).map((o) => [o.partition, o.nextOffset]));
      for (const [p, high] of highs) {
        if (high === '0') continue;
        if (stored.get(p) !== high) return false;
      }
      return true;
    },
    { timeoutMs, intervalMs: 200, message: 'every partition flushed up to its high watermark' },
  );
}

export function testRedis(config: Config): Redis {
  return createRedis(config);
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
