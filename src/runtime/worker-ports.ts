import type { FlushBatch } from '../actors/flush-batch.js';
import { PartitionAggregator } from '../actors/partition-aggregator.js';
import { RouteTemplater } from '../actors/route-template.js';
import type { Config } from '../config/config.js';
import { parseRouterEvent } from '../logplex/router-line.js';
import { createRedis } from '../sinks/redis/redis-client.js';
import { RedisPartitionStore } from '../sinks/redis/redis-partition-store.js';
import { retentionFromConfig } from '../sinks/redis/retention.js';
import type { Logger } from '../telemetry/logger.js';
import type { AggregatorFactory, PartitionStorePort, RecordParser } from './partition-ports.js';
import type { RouteSample } from './protocol.js';
import { sampleRoutes } from './route-samples.js';

/**
 * Wires the concrete edges of one worker thread: the router-line parser, the
 * route actors (one templater and its cache shared by the thread's partitions)
 * and the Redis store (one connection per thread, shared by its partitions).
 */
export interface WorkerPorts {
  parse: RecordParser;
  createAggregator: AggregatorFactory;
  store: PartitionStorePort;
  sampleRoutes: (batch: FlushBatch, limit: number) => RouteSample[];
  close(): Promise<void>;
}

export function createWorkerPorts(config: Config, logger: Logger): WorkerPorts {
  const redis = createRedis(config);
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  // A store call that gets no answer within two command timeouts is a store outage
  // (redis-partition-store.ts says why a call can otherwise wait forever).
  const store = new RedisPartitionStore(
    redis,
    config.redis.prefix,
    retentionFromConfig(config.runtime),
    2 * config.redis.client.commandTimeoutMs,
  );
  const templater = new RouteTemplater({ patterns: config.runtime.routePatterns });
  return {
    parse: parseRouterEvent,
    createAggregator: (claim) =>
      PartitionAggregator.fromConfig(config.runtime, { templater, watermarkMs: claim.watermarkMs ?? 0 }),
    store,
    sampleRoutes,
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
