import { CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { useTopic } from '../support/kafka.js';
import { makeRouterLines } from '../support/router-lines.js';
import {
  metricSum,
  oracleTotals,
  readStoredTotals,
  seed,
  storedTotals,
  useSeededRuntime,
  waitFlushed,
} from './runtime-harness.js';

describe('WorkerHost memory bounds (real Kafka and Redis)', () => {
  it('catches up a gzip backlog under a worker heap cap with bounded fetches and pending bytes: totals exact, no thread lost', async () => {
    // One scenario, run once: 300k records (≈ 90 MB of lines) written gzip-compressed
    // like the drain writes them, read from the start by threads capped at 48 MB of
    // old-generation heap each. With the seed's fetch sizes (4 MiB per partition, no
    // pending-bytes bound) this test fails: 3 ERR_WORKER_OUT_OF_MEMORY restarts
    // (measured). The bounds here (256 KiB fetches, 4 MiB pending per thread) must hold
    // the catch-up under the cap without one restart, and every total must be exact.
    const topic = await useTopic('rt-catchup', 4);
    const lines = makeRouterLines(300_000, { seed: 88, apps: 12, stepMs: 1 });
    // keyed by app, gzip: the drain's default codec
    await seed(topic, lines, 10_000, CompressionTypes.GZIP);
    const { config, redis, runtime } = await useSeededRuntime(topic, [], {
      WORKER_MAX_HEAP_MB: '48',
      FETCH_MAX_BYTES: String(256 * 1024),
      MAX_PENDING_BYTES: String(4 * 1024 * 1024),
      FLUSH_INTERVAL_MS: '250',
    });
    await waitFlushed(redis, config, 240_000);
    const metrics = await runtime.registry.metrics();
    expect(metricSum(metrics, 'routemeter_worker_restarts_total')).toBe(0);
    expect(
      metricSum(metrics, 'routemeter_supervision_decisions_total', 'failure="worker-out-of-memory"'),
    ).toBe(0);
    expect(metricSum(metrics, 'routemeter_consumed_records_total')).toBe(lines.length);
    expect(storedTotals(await readStoredTotals(redis, config.redis.prefix, 60))).toEqual(oracleTotals(lines));
  }, 300_000);
});
