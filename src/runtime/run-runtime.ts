import { Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import { createKafka } from '../kafka/kafka-client.js';
import { type MetricsServer, startMetricsServer } from '../sinks/prometheus/metrics-server.js';
import { registerProcessMetrics } from '../sinks/prometheus/process-metrics.js';
import { createRedis } from '../sinks/redis/redis-client.js';
import { type Logger, redactUrl } from '../telemetry/logger.js';
import { dynoSummary } from './dyno-summary.js';
import { LagProbe } from './lag-probe.js';
import type { RuntimeEvents } from './runtime-events.js';
import { RuntimeHealth } from './runtime-health.js';
import { RuntimeMetrics } from './runtime-metrics.js';
import { Supervisor } from './supervisor.js';

/**
 * `routemeter run`: one process of the fleet. Starts the supervisor (group
 * membership + worker threads), the lag probe, the health checks and the
 * Prometheus endpoint, and turns SIGTERM into an orderly shutdown that ends
 * well inside Heroku's 30 s.
 */
export interface RunningRuntime {
  supervisor: Supervisor;
  metrics: MetricsServer;
  registry: Registry;
  health: RuntimeHealth;
  stop(): Promise<boolean>;
}

export async function runRuntime(
  config: Config,
  logger: Logger,
  opts: { onEscalate?: (reason: string) => void; metricsPort?: number } = {},
): Promise<RunningRuntime> {
  const registry = new Registry();
  registerProcessMetrics(registry);
  let supervisor: Supervisor | null = null;
  const counters = () => (supervisor ? supervisor.partitionCounters : null);
  const assigned = () => supervisor?.ownedPartitions ?? [];
  // The platform topic's partitions (PLATFORM_TOPIC on): same counters, lag and readiness.
  const platformTopic = config.topics.platform;
  const platformCounters = () => (supervisor ? supervisor.platformCounters : null);
  const platformAssigned = () => supervisor?.ownedPlatformPartitions ?? [];
  // One probe and one admin client for both topics (the router topic first: readiness follows it).
  const probe = new LagProbe({
    admin: createKafka(config, `routemeter-lag-probe-${process.pid}`).admin(),
    topics: [
      { topic: config.topics.router, counters, assigned },
      ...(platformTopic === null
        ? []
        : [{ topic: platformTopic, counters: platformCounters, assigned: platformAssigned }]),
    ],
    groupId: config.consumerGroup,
    intervalMs: config.runtime.lagProbeIntervalMs,
    logger,
  });
  const metricsEvents = new RuntimeMetrics({
    registry,
    topic: config.topics.router,
    counters,
    partitions: assigned,
    lag: (p) => probe.lag(config.topics.router, p),
    ...(platformTopic === null
      ? {}
      : {
          platform: {
            topic: platformTopic,
            counters: platformCounters,
            partitions: platformAssigned,
            lag: (p: number) => probe.lag(platformTopic, p),
          },
        }),
    workers: config.runtime.workerThreads,
    routeLimit: config.runtime.promRouteLimit,
    routeEvaluateMs: config.runtime.promRouteEvaluateMs,
  });
  // PING only: no offline queue, so an unreachable store fails the check at once.
  const pingRedis = createRedis(config, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  pingRedis.on('error', () => {}); // reported by the health check, not as unhandled error events
  const health = new RuntimeHealth({
    registry,
    redis: pingRedis,
    probe,
    counters,
    assigned,
    ...(platformTopic === null
      ? {}
      : { platform: { counters: platformCounters, assigned: platformAssigned } }),
    supervisorReady: () => supervisor?.ready ?? false,
    liveWorkers: () => supervisor?.liveWorkerIds ?? [],
    lagProbeIntervalMs: config.runtime.lagProbeIntervalMs,
    storeOutageExitMs: config.runtime.storeOutageExitMs,
    livenessStallMs: config.runtime.livenessStallMs,
    onStoreOutage: (reason) => opts.onEscalate?.(reason),
    logger,
  });
  const summary = platformTopic === null ? null : dynoSummary(config, logger, registry);
  const events: RuntimeEvents = {
    assignment: (partitions) => {
      metricsEvents.assignment(partitions);
      health.assignment();
    },
    partitionStarted: (p, epoch, offset, topic) => metricsEvents.partitionStarted(p, epoch, offset, topic),
    partitionStopped: () => metricsEvents.partitionStopped(),
    flushed: (msg) => {
      metricsEvents.flushed(msg);
      if (msg.dynos && summary) summary.publisher.add(msg.dynos);
    },
    flushFailed: (p, err, topic) => metricsEvents.flushFailed(p, err, topic),
    workerRestarted: (id) => metricsEvents.workerRestarted(id),
    decision: (failure, directive) => metricsEvents.decision(failure, directive),
  };
  supervisor = new Supervisor({
    config,
    logger,
    events,
    onEscalate: opts.onEscalate,
  });
  logger.info(
    { brokers: config.kafka.brokers, tls: Boolean(config.kafka.ssl), redis: redactUrl(config.redis.url) },
    'starting stream runtime',
  );
  const sup = supervisor;
  const metrics = await startMetricsServer(
    registry,
    opts.metricsPort ?? config.metricsPort,
    () => health.live(),
    () => health.ready(),
  );
  health.start();
  probe.start();
  summary?.publisher.start();
  const closeProbes = async () => {
    health.stop();
    await Promise.all([probe.stop(), summary?.close()]);
    pingRedis.disconnect();
  };
  try {
    await supervisor.start();
  } catch (err) {
    await closeProbes();
    await metrics.close();
    throw err;
  }
  return {
    supervisor: sup,
    metrics,
    registry,
    health,
    async stop() {
      const clean = await sup.shutdown();
      await closeProbes();
      await metrics.close();
      return clean;
    },
  };
}
