import type { Admin } from 'kafkajs';
import type { RedisClient } from '../sinks/redis/redis-client.js';
import type { HealthStatus } from '../telemetry/health-routes.js';
import { withTimeout } from '../util/with-timeout.js';

/**
 * The drain is ready while it can get lines into Kafka:
 *
 *   closing                              ─▶ not ready ("closing")
 *   Kafka metadata does not answer in 2 s ─▶ not ready ("kafka: …")
 *   producer queue full                   ─▶ not ready ("producer queue full"): new batches get 503
 *   Redis does not answer PING            ─▶ STILL ready, reason "redis: … (dedupe degraded)":
 *                                            batches are produced without dedupe (counted in
 *                                            routemeter_drain_dedupe_errors_total); pulling every
 *                                            drain out of a load balancer for a Redis blip would
 *                                            stop all ingest to protect a best-effort feature
 */
export interface DrainReadinessDeps {
  admin: Admin;
  redis: RedisClient;
  isClosing: () => boolean;
  queueFull: () => boolean;
  timeoutMs?: number;
}

export function drainReadiness(deps: DrainReadinessDeps): () => Promise<HealthStatus> {
  const timeoutMs = deps.timeoutMs ?? 1500;
  return async () => {
    const [kafka, redis] = await Promise.allSettled([
      withTimeout(deps.admin.describeCluster(), timeoutMs, 'kafka'),
      withTimeout(deps.redis.ping(), timeoutMs, 'redis'),
    ]);
    const reasons: string[] = [];
    let ok = true;
    if (deps.isClosing()) {
      ok = false;
      reasons.push('closing');
    }
    if (kafka.status === 'rejected') {
      ok = false;
      reasons.push(`kafka: ${(kafka.reason as Error)?.message ?? 'unreachable'}`);
    }
    if (deps.queueFull()) {
      ok = false;
      reasons.push('producer queue full');
    }
    if (redis.status === 'rejected') {
      reasons.push(`redis: ${(redis.reason as Error)?.message ?? 'unreachable'} (dedupe degraded)`);
    }
    return { ok, reasons };
  };
}
