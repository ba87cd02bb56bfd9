import type { FlushBatch, PartitionDrain } from '../actors/flush-batch.js';
import { PartitionAggregator } from '../actors/partition-aggregator.js';
import { RouteTemplater } from '../actors/route-template.js';
import type { Config } from '../config/config.js';
import { createRouterEvent, type RouterEvent } from '../logplex/router-event.js';
import { scanRouterEvent } from '../logplex/router-line.js';
import { createRedis } from '../sinks/redis/redis-client.js';
import { RedisPartitionStore } from '../sinks/redis/redis-partition-store.js';
import { retentionFromConfig } from '../sinks/redis/retention.js';
import type { Logger } from '../telemetry/logger.js';
import { sampleDynos } from './dyno-samples.js';
import type { RecordKind } from './partition-ports.js';
import {
  createPlatformRecord,
  PlatformPartitionAggregator,
  type PlatformPartitionDrain,
  type PlatformRecord,
  platformRecordParser,
} from './platform-records.js';
import { sampleRoutes } from './route-samples.js';

/**
 * Wires the concrete edges of one worker thread, one record kind per topic:
 *
 *   router    scanRouterEvent → route actors (one templater and its cache shared by
 *             the thread's partitions) → store.flush
 *   platform  parsePlatformEvent + app (platform-records.ts) → dyno actors → store.flushPlatform
 *
 * and the Redis store (one connection per thread, shared by its partitions of both kinds).
 */
export interface WorkerPorts {
  router: RecordKind<RouterEvent, PartitionDrain>;
  platform: RecordKind<PlatformRecord, PlatformPartitionDrain>;
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
  const { runtime } = config;
  return {
    router: {
      name: 'router',
      createEvent: createRouterEvent,
      parse: (buf, start, end, _view, out) => scanRouterEvent(buf, start, end, out),
      createAggregator: (claim) =>
        PartitionAggregator.fromConfig(runtime, { templater, watermarkMs: claim.watermarkMs ?? 0 }),
      store: {
        claim: (topic, partition) => store.claim(topic, partition),
        flush: (batch: FlushBatch) => store.flush(batch),
        advance: (topic, partition, epoch, from, to) => store.advance(topic, partition, epoch, from, to),
      },
      summarize: (batch, limit) => ({ routes: sampleRoutes(batch, limit) }),
    },
    platform: {
      name: 'platform',
      createEvent: createPlatformRecord,
      parse: platformRecordParser(config.drain.tokenApps),
      createAggregator: (claim) =>
        new PlatformPartitionAggregator({
          windowSeconds: runtime.windowSeconds,
          rollupSeconds: runtime.rollupSeconds,
          allowedLatenessSeconds: runtime.allowedLatenessSeconds,
          dynoCapPerApp: runtime.dynoCapPerApp,
          watermarkMs: claim.watermarkMs ?? 0,
        }),
      store: {
        // The same claim and offset advance as router partitions: one fencing protocol.
        claim: (topic, partition) => store.claim(topic, partition),
        // sinks/redis/flush-platform-partition.ts: same fencing and offset checks as flush
        flush: (batch) => store.flushPlatform(batch),
        advance: (topic, partition, epoch, from, to) => store.advance(topic, partition, epoch, from, to),
      },
      summarize: (batch) => ({ routes: [], dynos: sampleDynos(batch) }),
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
