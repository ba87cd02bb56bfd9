import { isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { serializeError } from '../errors/serialize-error.js';
import { PartitionFetcher } from '../kafka/partition-fetcher.js';
import { createLogger } from '../telemetry/logger.js';
import { PartitionConsumer } from './partition-consumer.js';
import type { FetcherFactory } from './partition-ports.js';
import type { PartitionWorkerData } from './partition-worker-data.js';
import { PendingBytes } from './pending-bytes.js';
import { assertNever, type MainToWorker, type WorkerToMain } from './protocol.js';
import { startWorkerHeartbeat } from './worker-heartbeat.js';
import { PartitionCounters } from './worker-metrics.js';
import { createWorkerPorts } from './worker-ports.js';

/**
 * Entry point of a worker thread. It owns any number of partitions of the router
 * and platform topics, each with its own partition fetcher and broker connection
 * (never shared across threads), and answers the supervisor's plain messages
 * (protocol.ts). A partition's record kind follows from its topic.
 */
if (isMainThread || !parentPort) {
  throw new RoutemeterError('RM_ERR_PROTOCOL', 'partition-worker.ts must run in a worker thread');
}

const port = parentPort;
const data = workerData as PartitionWorkerData;
const { config } = data;
const logger = createLogger(config.logLevel, `routemeter-worker-${data.workerId}`);
const counters = new PartitionCounters(data.metricsBuffer, data.maxPartitions);
const platformCounters = new PartitionCounters(data.platformMetricsBuffer, data.maxPartitions);
startWorkerHeartbeat(counters, data.workerId);
const ports = createWorkerPorts(config, logger);
/** `topic:partition` → its consumer */
const consumers = new Map<string, { stop: PartitionConsumer['stop'] }>();
const keyOf = (topic: string, partition: number) => `${topic}:${partition}`;
// Memory bounds of this thread: both shrink after an out-of-memory restart (fetchScale < 1).
const partitionSettings = {
  ...config.runtime.partition,
  fetchMaxBytes: Math.max(64 * 1024, Math.floor(config.runtime.partition.fetchMaxBytes * data.fetchScale)),
  maxPendingBytes: Math.max(
    1024 * 1024,
    Math.floor(config.runtime.partition.maxPendingBytes * data.fetchScale),
  ),
};
const pending = new PendingBytes(partitionSettings.maxPendingBytes);
const clientId = `routemeter-worker-${data.workerId}-${threadId}`;
const createFetcher: FetcherFactory = (topic, partition, sink) =>
  new PartitionFetcher(
    {
      topic,
      partition,
      brokers: config.kafka.brokers,
      ssl: config.kafka.ssl,
      clientId,
      connectTimeoutMs: config.kafka.client.connectionTimeoutMs,
      requestTimeoutMs: config.kafka.client.requestTimeoutMs,
      maxWaitMs: partitionSettings.fetchMaxWaitMs,
      minBytes: partitionSettings.fetchMinBytes,
      maxBytes: partitionSettings.fetchMaxBytes,
      prefetch: partitionSettings.fetchPrefetch,
    },
    sink,
  );
const { supervision } = config.runtime;
const post = (msg: WorkerToMain) => port.postMessage(msg);
let shuttingDown = false;

async function assign(topic: string, partition: number): Promise<void> {
  const key = keyOf(topic, partition);
  if (consumers.has(key) || shuttingDown) return;
  const platform = topic === config.topics.platform;
  const options = {
    topic,
    partition,
    flushIntervalMs: config.runtime.flushIntervalMs,
    maxPendingRecords: config.runtime.maxPendingRecords,
    shutdownTimeoutMs: Math.max(1000, config.runtime.shutdownTimeoutMs - supervision.shutdownReserveMs),
    routeSampleLimit: config.runtime.promRouteLimit,
    settings: partitionSettings,
    policy: supervision,
  };
  const shared = {
    createFetcher,
    post: (msg: WorkerToMain) => {
      if (msg.code === 'partition-stopped') consumers.delete(keyOf(msg.topic, msg.partition));
      post(msg);
    },
    logger,
    pending,
  };
  // Same lifecycle for both kinds; only the parser, actors, store call and counters differ.
  const consumer = platform
    ? new PartitionConsumer(options, { ...shared, kind: ports.platform, counters: platformCounters })
    : new PartitionConsumer(options, { ...shared, kind: ports.router, counters });
  consumers.set(key, consumer);
  await consumer.start();
}

async function shutdown(): Promise<void> {
  shuttingDown = true;
  await Promise.allSettled([...consumers.values()].map((c) => c.stop('shutdown')));
  await ports.close();
  post({ code: 'shutdown-complete' });
}

port.on('message', (msg: MainToWorker) => {
  switch (msg.code) {
    case 'assign':
      assign(msg.topic, msg.partition).catch((err) => {
        // The supervisor decides (start-failed) once the partition reports stopped.
        logger.error({ partition: msg.partition, err }, 'partition failed to start');
        const consumer = consumers.get(keyOf(msg.topic, msg.partition));
        if (consumer) void consumer.stop('start-failed', err);
        else
          post({
            code: 'partition-stopped',
            topic: msg.topic,
            partition: msg.partition,
            reason: 'start-failed',
            nextOffset: null,
            error: serializeError(err),
          });
      });
      return;
    case 'revoke': {
      const consumer = consumers.get(keyOf(msg.topic, msg.partition));
      if (consumer) void consumer.stop('revoked');
      else
        post({
          code: 'partition-stopped',
          topic: msg.topic,
          partition: msg.partition,
          reason: 'revoked',
          nextOffset: null,
        });
      return;
    }
    case 'shutdown':
      void shutdown();
      return;
    case 'stall': {
      const until = Date.now() + msg.ms;
      while (Date.now() < until) {
        // busy: no timers, no messages, no heartbeat
      }
      return;
    }
    case 'crash':
      setImmediate(() => {
        throw new RoutemeterError('RM_ERR_WORKER_CRASHED', `injected crash: ${msg.reason}`);
      });
      return;
    default:
      assertNever(msg, 'partition-worker');
  }
});

process.on('unhandledRejection', (err) => {
  // A worker that fails posts its error and exits; the supervisor decides what next.
  post({ code: 'fatal', error: serializeError(err) });
  process.exit(1);
});

post({ code: 'ready' });
