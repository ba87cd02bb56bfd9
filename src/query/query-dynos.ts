import type { RedisClient } from '../sinks/redis/redis-client.js';

/**
 * PLACEHOLDER on branch dyno-read until branch dyno-store (which owns this file) is merged:
 * the contract agreed for issue 11, answering "no data". The merge takes dyno-store's file.
 */
export interface DynoQuery {
  app: string;
  platformTopic: string;
  fromMs: number;
  toMs: number;
  stepSeconds: number;
  resolutionSeconds: number;
  nowMs?: number;
}

export interface DynoSeriesResult {
  start_time: string;
  end_time: string;
  step: string;
  step_seconds: number;
  resolution_seconds: number;
  data: Record<string, Array<number | null>>;
  process_types: string[];
  events: Array<{
    time: string;
    time_ms: number;
    dyno: string;
    process_type: string;
    code: string;
    count: number;
  }>;
  dynos: Array<{
    dyno: string;
    process_type: string;
    last_sample_at: string;
    memory_total_mb: number;
    memory_rss_mb: number;
    memory_swap_mb: number;
    memory_quota_mb: number;
    load_1m: number | null;
  }>;
}

export async function queryDynos(
  _redis: RedisClient,
  _prefix: string,
  q: DynoQuery,
): Promise<DynoSeriesResult> {
  const stepMs = q.stepSeconds * 1000;
  const start = Math.floor(q.fromMs / stepMs) * stepMs;
  const steps = Math.max(1, Math.ceil((q.toMs - start) / stepMs));
  return {
    start_time: new Date(start).toISOString(),
    end_time: new Date(start + steps * stepMs).toISOString(),
    step: `${q.stepSeconds}s`,
    step_seconds: q.stepSeconds,
    resolution_seconds: q.resolutionSeconds,
    data: {},
    process_types: [],
    events: [],
    dynos: [],
  };
}
