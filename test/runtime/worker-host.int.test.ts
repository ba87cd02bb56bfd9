import { CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { testKafka, useTopic } from '../support/kafka.js';
import { makeRouterLines, type OracleLine } from '../support/router-lines.js';
import {
  metricSum,
  oracleTotals,
  readStoredTotals,
  storedTotals,
  useSeededRuntime,
  waitFlushed,
} from './runtime-harness.js';

/** Like the drain writes them: keyed by app, gzip (the drain's default codec), acks=all. */
async function seedGzip(topic: string, lines: OracleLine[], chunk = 10_000): Promise<void> {
  const producer = testKafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < lines.length; i += chunk) {
      await producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: lines.slice(i, i + chunk).map((l) => ({ key: l.app, value: l.line })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

describe('WorkerHost memory bounds (real Kafka and Redis)', () => {
  it('catches up a gzip backlog under a worker heap cap with bounded fetches and pending bytes: totals exact, no thread lost', async () => {
    // One scenario, run once: 300k records (≈ 90 MB of lines, ≈ 20 MB of gzip) read
    // from the start by threads capped at 48 MB of old-generation heap each. The
    // seed's 4 MiB fetches were measured at 1.16 GB RSS on a 2 M backlog and died
    // under a 96 MB cap; here the bounds (256 KiB fetches, 4 MiB pending per thread)
    // must hold the catch-up under the cap without one out-of-memory restart.
    const topic = await useTopic('rt-catchup', 4);
    const lines = makeRouterLines(300_000, { seed: 88, apps: 12, stepMs: 1 });
    await seedGzip(topic, lines);
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
