import { type Admin, Kafka } from 'kafkajs';
import type { Config } from '../config/config.js';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { redirectSocketFactory } from '../kafka/broker-redirect.js';
import { drainTopicNames, ensureTopics } from '../kafka/ensure-topics.js';
import { kafkaClientConfig } from '../kafka/kafka-client.js';
import { registerCodec } from '../kafka/kafka-codecs.js';
import { ProducerThread } from '../kafka/producer-thread.js';
import type { RedisClient } from '../sinks/redis/redis-client.js';
import { createRedis } from '../sinks/redis/redis-client.js';
import { type Logger, redactUrl } from '../telemetry/logger.js';

/**
 * The drain's clients: a Kafka admin (topics at start, readiness probes), the producer
 * threads (DRAIN_PRODUCER_THREADS; every record goes through one of them, see
 * batcher-pool.ts), and Redis for the frame-id dedupe.
 *
 * Kafka is required at start (RM_ERR_KAFKA_UNAVAILABLE otherwise: the orchestrator retries);
 * Redis is not: dedupe is best effort, and the drain fails open without it.
 */
export interface DrainClients {
  admin: Admin;
  /** one per DRAIN_PRODUCER_THREADS, each with its own idempotent producer */
  producers: ProducerThread[];
  redis: RedisClient;
  /** disconnects the producer threads (within `timeoutMs`), the admin, and Redis if it made it */
  close(timeoutMs: number): Promise<void>;
}

export interface DrainClientOptions {
  /** a Redis client to use instead of one made from `config.redis.url` (not closed by `close()`) */
  redis?: RedisClient;
  /** connect every broker connection to this `host:port` (see kafka/broker-redirect.ts) */
  brokerRedirect?: string;
}

export async function connectDrainClients(
  config: Config,
  log: Logger,
  options: DrainClientOptions = {},
): Promise<DrainClients> {
  registerCodec(config.drain.compression); // fails fast, in this thread, on a codec that cannot load
  const brokerRedirect = options.brokerRedirect ?? null;
  // A produce request must fail in time for the drain to answer logplex within 5 s.
  const requestTimeoutMs = Math.max(1000, config.drain.produceTimeoutMs);

  const kafka = new Kafka({
    ...kafkaClientConfig(config, 'routemeter-drain-admin'),
    requestTimeout: requestTimeoutMs,
    ...(brokerRedirect ? { socketFactory: redirectSocketFactory(brokerRedirect) } : {}),
  });
  const admin = kafka.admin();
  const producers = Array.from(
    { length: config.drain.producerThreads },
    (_, shard) =>
      new ProducerThread(
        {
          kafka: config.kafka,
          brokerRedirect,
          compression: config.drain.compression,
          requestTimeoutMs,
          ackTimeoutMs: Math.max(500, config.drain.produceTimeoutMs - 500),
          routerTopic: config.topics.router,
          platformTopic: config.topics.platform,
        },
        log.child({ producerThread: shard }),
      ),
  );
  const disconnectProducers = (timeoutMs: number) =>
    Promise.all(producers.map((p) => p.disconnect(timeoutMs)));
  try {
    await admin.connect();
    await ensureTopics(admin, drainTopicNames(config.topics), config.topics.partitions, log);
    await Promise.all(producers.map((p) => p.connect()));
  } catch (err) {
    await disconnectProducers(5000);
    await admin.disconnect().catch(() => {});
    throw new RoutemeterError(
      'RM_ERR_KAFKA_UNAVAILABLE',
      `drain could not reach Kafka: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }

  const ownRedis = options.redis === undefined;
  const redis =
    options.redis ??
    createRedis(config, {
      // The dedupe must answer well inside logplex's 5 s, or not at all.
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
      connectTimeout: 2000,
    });
  redis.on('error', (err: Error) => log.debug({ event: 'drain.redis_error', err: err.message }));
  if (ownRedis) {
    await redis.connect().catch((err: Error) => {
      log.warn(
        { event: 'drain.redis_unavailable', url: redactUrl(config.redis.url), err: err.message },
        'Redis unreachable at start: batches are produced without frame-id dedupe until it is back',
      );
    });
  }

  return {
    admin,
    producers,
    redis,
    async close(timeoutMs) {
      await disconnectProducers(Math.max(1000, timeoutMs));
      await admin.disconnect().catch(() => {});
      if (ownRedis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
