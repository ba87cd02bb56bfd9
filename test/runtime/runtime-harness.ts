import { CompressionTypes, type Message } from 'kafkajs';
import { expect, onTestFinished } from 'vitest';
import { type Config, loadConfig } from '../../src/config/config.js';
import { appDrainToken } from '../../src/gen/app-drain-tokens.js';
import { RECORD_HEADERS } from '../../src/kafka/record-slab.js';
import { type RunningRuntime, runRuntime } from '../../src/runtime/run-runtime.js';
import { unpackStats } from '../../src/sinks/redis/packed-values.js';
import { readOffsets } from '../../src/sinks/redis/read-offsets.js';
import { createRedis, type RedisClient } from '../../src/sinks/redis/redis-client.js';
import {
  parsePartitionMember,
  partitionAppsKey,
  partitionsKey,
  partitionTag,
  windowIndexKey,
  windowKey,
} from '../../src/sinks/redis/redis-keys.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { deletePrefix } from '../sinks/redis/test-redis.js';
import { testKafka, uniqueName, waitFor, withAdmin } from '../support/kafka.js';
import { type OracleLine, oracle } from '../support/router-lines.js';

export const testLogger = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', 'test');

/** Sum of a metric's samples in Prometheus text, over the series whose labels contain `labels`. */
export function metricSum(text: string, name: string, labels = ''): number {
  const re = new RegExp(`^${name}(?:\\{([^}]*)\\})? ([0-9.e+-]+)$`, 'gm');
  return [...text.matchAll(re)]
    .filter((m) => (m[1] ?? '').includes(labels))
    .reduce((a, m) => a + Number(m[2]), 0);
}

/** Per (app, route): [count, service sum, service max, 5xx] from the independent oracle … */
export function oracleTotals(lines: OracleLine[]): Map<string, number[]> {
  return new Map([...oracle(lines)].map(([k, v]) => [k, [v.count, v.serviceSumMs, v.maxMs, v.status5xx]]));
}

/** … and the same from what Redis stores. */
export function storedTotals(stored: Map<string, StoredTotals>): Map<string, number[]> {
  return new Map([...stored].map(([k, v]) => [k, [v.count, v.serviceSumMs, v.serviceMaxMs, v.status5xx]]));
}

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
    // no platform topic unless a test brings its own (the default one is shared by every test)
    PLATFORM_TOPIC: '',
    DYNO_SUMMARY_TOPIC: '',
    ...overrides,
  });
}

/** Produces `items` as `toMessage` makes them (acks=all), in chunks so memory stays flat. */
async function produceInChunks<T>(
  topic: string,
  items: readonly T[],
  toMessage: (item: T) => Message,
  chunk: number,
  compression = CompressionTypes.None,
): Promise<void> {
  const producer = testKafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < items.length; i += chunk) {
      await producer.send({
        topic,
        acks: -1,
        compression,
        messages: items.slice(i, i + chunk).map(toMessage),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Produces the lines keyed by app, as the drain does. */
export async function seed(
  topic: string,
  lines: OracleLine[],
  chunk = 5000,
  compression = CompressionTypes.None,
): Promise<void> {
  await produceInChunks(topic, lines, (l) => ({ key: l.app, value: l.line }), chunk, compression);
}

/**
 * Produces platform lines as the drain does (key and `logplex-drain-token` = the app's
 * drain token, the `app` header when `stamp` says so).
 */
export async function seedPlatform(
  topic: string,
  lines: ReadonlyArray<{ line: string; app: string }>,
  stamp: (app: string) => boolean,
  chunk = 5000,
): Promise<void> {
  await produceInChunks(
    topic,
    lines,
    (l) => {
      const token = appDrainToken(l.app);
      return {
        key: token,
        value: l.line,
        headers: {
          [RECORD_HEADERS.drainToken]: token,
          ...(stamp(l.app) ? { [RECORD_HEADERS.app]: l.app } : {}),
        },
      };
    },
    chunk,
  );
}

export async function highWatermarks(topic: string): Promise<Map<number, string>> {
  return withAdmin(async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, o.high]));
  });
}

/** Waits until Redis's stored next offset equals the high watermark on every partition (of `topic`: the router topic by default). */
export async function waitFlushed(
  redis: RedisClient,
  config: Config,
  timeoutMs = 120_000,
  topic = config.topics.router,
): Promise<void> {
  const highs = await highWatermarks(topic);
  await waitFor(
    async () => {
      const stored = new Map(
        (await readOffsets(redis, config.redis.prefix, topic)).map((o) => [o.partition, o.nextOffset]),
      );
      for (const [p, high] of highs) {
        if (high === '0') continue;
        if (stored.get(p) !== high) return false;
      }
      return true;
    },
    { timeoutMs, intervalMs: 200, message: 'every partition flushed up to its high watermark' },
  );
}

export function testRedis(config: Pick<Config, 'redis'>): RedisClient {
  return createRedis(config);
}

export async function deleteKeys(redis: RedisClient, prefix: string): Promise<void> {
  await deletePrefix(redis, prefix);
}

export interface StoredTotals {
  count: number;
  serviceSumMs: number;
  serviceMaxMs: number;
  status5xx: number;
}

/**
 * Reads the stored per-(app, route) totals of one resolution straight from the
 * documented key schema (docs/redis-keys.md), without the query module: a
 * second, independent reader for the exactness tests.
 */
export async function readStoredTotals(
  redis: RedisClient,
  prefix: string,
  resolutionSeconds: number,
): Promise<Map<string, StoredTotals>> {
  const totals = new Map<string, StoredTotals>();
  // every partition ever claimed → its apps → their windows (partitions merged here)
  for (const member of await redis.smembers(partitionsKey(prefix))) {
    const { topic, partition } = parsePartitionMember(member);
    const tag = partitionTag(topic, partition);
    for (const app of await redis.zrange(partitionAppsKey(prefix, tag), 0, -1)) {
      await addAppTotals(redis, prefix, tag, resolutionSeconds, app, totals);
    }
  }
  return totals;
}

async function addAppTotals(
  redis: RedisClient,
  prefix: string,
  tag: string,
  resolutionSeconds: number,
  app: string,
  totals: Map<string, StoredTotals>,
): Promise<void> {
  const windows = await redis.zrange(windowIndexKey(prefix, tag, resolutionSeconds, app), 0, -1);
  for (const w of windows) {
    const hash = await redis.hgetallBuffer(windowKey(prefix, tag, resolutionSeconds, app, Number(w)));
    for (const [field, value] of Object.entries(hash)) {
      const bar = field.lastIndexOf('|');
      if (field.slice(bar + 1) !== 's') continue;
      const route = field.slice(0, bar);
      const v = unpackStats(value);
      const key = `${app} ${route}`;
      const t = totals.get(key) ?? { count: 0, serviceSumMs: 0, serviceMaxMs: 0, status5xx: 0 };
      t.count += v[0] ?? 0;
      t.serviceSumMs += v[1] ?? 0;
      t.serviceMaxMs = Math.max(t.serviceMaxMs, v[3] ?? 0);
      t.status5xx += v[11] ?? 0;
      totals.set(key, t);
    }
  }
}

/** The environment of a `routemeter run` child process for this test's config. */
export function childEnv(config: Config, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    KAFKA_URL: process.env.KAFKA_URL,
    REDIS_URL: process.env.REDIS_URL,
    ROUTER_TOPIC: config.topics.router,
    PLATFORM_TOPIC: config.topics.platform ?? '',
    DYNO_SUMMARY_TOPIC: config.topics.dynoSummary ?? '',
    CONSUMER_GROUP: config.consumerGroup,
    REDIS_PREFIX: config.redis.prefix,
    WORKER_THREADS: String(config.runtime.workerThreads),
    FLUSH_INTERVAL_MS: String(config.runtime.flushIntervalMs),
    ALLOWED_LATENESS_SECONDS: String(config.runtime.allowedLatenessSeconds),
    METRICS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    ...extra,
  };
}

/** Sum of stored next offsets: how far the store has got, over all partitions. */
export async function storedProgress(redis: RedisClient, config: Config): Promise<number> {
  const offsets = await readOffsets(redis, config.redis.prefix, config.topics.router);
  return offsets.reduce((a, o) => a + Number(o.nextOffset ?? 0), 0);
}

/**
 * Seeds a fresh topic with `lines`, starts an in-process runtime on it, and
 * registers the teardown (runtime, Redis keys, client) next to the setup.
 */
export async function useSeededRuntime(
  topic: string,
  lines: OracleLine[],
  overrides: Record<string, string> = {},
): Promise<{ config: Config; redis: RedisClient; runtime: RunningRuntime }> {
  await seed(topic, lines);
  const config = runtimeConfig(topic, overrides);
  const redis = testRedis(config);
  const runtime = await runRuntime(config, testLogger, { metricsPort: 0 });
  onTestFinished(async () => {
    await runtime.stop();
    await deleteKeys(redis, config.redis.prefix);
    redis.disconnect();
  });
  return { config, redis, runtime };
}

/** Asserts that the stored totals equal the oracle's for every (app, route), listing the first differences. */
export function expectExact(lines: OracleLine[], stored: Map<string, StoredTotals>) {
  const got = storedTotals(stored);
  const want = oracleTotals(lines);
  const diffs = [...new Set([...got.keys(), ...want.keys()])]
    .filter((k) => JSON.stringify(got.get(k)) !== JSON.stringify(want.get(k)))
    .map((k) => `${k}: got ${JSON.stringify(got.get(k))} want ${JSON.stringify(want.get(k))}`);
  expect(diffs.slice(0, 10)).toEqual([]);
  expect(got).toEqual(want);
}
