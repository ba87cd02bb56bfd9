import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startDrain } from '../../src/ingest/drain-server.js';
import { deleteGroup, deleteTopic, testKafka, uniqueName } from '../support/kafka.js';

/**
 * A drain for one integration test: its own router and platform topics, its own
 * Redis key prefix, port 0, credentials `logplex:s3cret`; everything it made is
 * removed when the test finishes (registered here, next to the setup).
 */
export interface TestDrain {
  url: string;
  port: number;
  routerTopic: string;
  platformTopic: string;
  redisPrefix: string;
  registry: Registry;
  close(): Promise<void>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

export const AUTH = `Basic ${Buffer.from('logplex:s3cret').toString('base64')}`;

export interface UseDrainOptions {
  /** every log line the drain writes, parsed (default: the drain logs nothing) */
  logs?: Array<Record<string, unknown>>;
  /** a KAFKA_URL other than the shared broker's (a private broker) */
  kafkaUrl?: string;
}

export async function useDrain(
  env: Record<string, string> = {},
  brokerRedirect?: string,
  opts: UseDrainOptions = {},
): Promise<TestDrain> {
  const routerTopic = uniqueName('drain-router');
  const platformTopic = uniqueName('drain-platform');
  const redisPrefix = `${uniqueName('rmtest')}:`;
  const config = loadConfig({
    KAFKA_URL: opts.kafkaUrl ?? process.env.KAFKA_URL,
    REDIS_URL: process.env.REDIS_URL,
    ROUTER_TOPIC: routerTopic,
    PLATFORM_TOPIC: platformTopic,
    TOPIC_PARTITIONS: '3',
    REDIS_PREFIX: redisPrefix,
    DRAIN_USERS: 'logplex:s3cret',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...env,
  });
  const registry = new Registry();
  const logs = opts.logs;
  const logger = logs
    ? pino(
        { level: 'debug' },
        {
          write(line: string) {
            logs.push(JSON.parse(line) as Record<string, unknown>);
          },
        },
      )
    : pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const handle = await startDrain(config, logger, registry, { port: 0, host: '127.0.0.1', brokerRedirect });
  onTestFinished(async () => {
    await handle.close();
    if (opts.kafkaUrl === undefined) await deleteTopic(routerTopic, platformTopic);
    const redis = new Redis(config.redis.url);
    const keys = await redis.keys(`${redisPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  return {
    url: `http://127.0.0.1:${handle.port}${config.drain.path}`,
    port: handle.port,
    routerTopic,
    platformTopic,
    redisPrefix,
    registry,
    close: handle.close,
    async metric(name, labels = {}) {
      const m = await registry.getSingleMetric(name)?.get();
      if (!m) throw new Error(`no metric ${name}`);
      let sum = 0;
      for (const v of m.values) {
        if (Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want)) sum += v.value;
      }
      return sum;
    },
  };
}

/** Reads a topic from the beginning until `count` records arrived (or `timeoutMs`), with a throwaway group. */
export async function readTopic(
  topic: string,
  count: number,
  timeoutMs = 30_000,
  /** a private broker's address (default: the shared broker) */
  broker?: string,
): Promise<Array<{ key: Buffer | null; value: Buffer; headers: Record<string, string>; partition: number }>> {
  const groupId = uniqueName('drain-read');
  const consumer = testKafka({
    clientId: 'routemeter-test-reader',
    ...(broker ? { brokers: [broker] } : {}),
  }).consumer({ groupId });
  const out: Array<{
    key: Buffer | null;
    value: Buffer;
    headers: Record<string, string>;
    partition: number;
  }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${out.length} of ${count} records from ${topic} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ message, partition }) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
            out.push({ key: message.key, value: message.value!, headers, partition });
            if (out.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    // Anything past `count` (a duplicate) shows up within a short extra wait.
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await consumer.disconnect();
    if (!broker) await deleteGroup(groupId);
  }
  return out;
}

export async function post(
  url: string,
  body: Buffer | string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text() };
}
