import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import { type MetricsServer, startMetricsServer } from '../sinks/prometheus/metrics-server.js';
import { type Logger, redactUrl } from '../telemetry/logger.js';
import { RuntimeMetrics } from './runtime-metrics.js';
import { Supervisor } from './supervisor.js';

/**
 * `routemeter run`: one process of the fleet. Starts the supervisor (group
 * membership + worker threads) and the Prometheus endpoint, and turns SIGTERM
 * into an orderly shutdown that ends well inside Heroku's 30 s.
 */
export interface RunningRuntime {
  supervisor: Supervisor;
  metrics: MetricsServer;
  registry: Registry;
  stop(): Promise<boolean>;
}

export async function runRuntime(
  config: Config,
  logger: Logger,
  opts: { onEscalate?: (reason: string) => void; metricsPort?: number } = {},
): Promise<RunningRuntime> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'routemeter_process_' });
  let supervisor: Supervisor | null = null;
  const events = new RuntimeMetrics({
    registry,
    topic: config.topics.router,
    counters: () => (supervisor ? supervisor.partitionCounters : null),
    partitions: () => supervisor?.ownedPartitions ?? [],
    routeLimit: config.runtime.promRouteLimit,
  });
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
    () => true,
    () => sup.ready,
  );
  try {
    await supervisor.start();
  } catch (err) {
    await metrics.close();
    throw err;
  }
  return {
    supervisor: sup,
    metrics,
    registry,
    async stop() {
      const clean = await sup.shutdown();
      await metrics.close();
      return clean;
    },
  };
}
