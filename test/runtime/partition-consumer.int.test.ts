import { describe, expect, it, onTestFinished } from 'vitest';
import { runRuntime } from '../../src/runtime/run-runtime.js';
import { claimPartition } from '../../src/sinks/redis/claim-partition.js';
import { readOffsets } from '../../src/sinks/redis/read-offsets.js';
import { useTopic, waitFor } from '../support/kafka.js';
import { makeRouterLines } from '../support/router-lines.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import {
  deleteKeys,
  highWatermarks,
  testLogger as logger,
  metricSum as metric,
  oracleTotals,
  readStoredTotals,
  runtimeConfig,
  seed,
  storedProgress,
  storedTotals,
  testRedis,
  useSeededRuntime,
  waitFlushed,
} from './runtime-harness.js';

describe('PartitionConsumer (real Kafka and Redis)', () => {
  it('rejects the flushes of a fenced owner, re-claims, and keeps totals exact', async () => {
    const topic = await useTopic('rt-fence', 2);
    const lines = makeRouterLines(80_000, { seed: 21 });
    const { config, redis, runtime } = await useSeededRuntime(topic, lines, {
      FLUSH_INTERVAL_MS: '100',
      MAX_PENDING_RECORDS: '2000',
    });
    // Both partitions claimed first (progress is a sum: one partition alone can pass 4000
    // while the other is still claiming, and then the stale claim below is its first, epoch 1).
    await waitFor(
      async () =>
        (await storedProgress(redis, config)) > 4000 &&
        metric(await runtime.registry.metrics(), 'routemeter_partition_owned') === 2,
      { timeoutMs: 60_000, intervalMs: 10, message: 'both partitions claimed, 4000 records stored' },
    );
    // A stale owner elsewhere claims both partitions: the epoch moves past the live owner's.
    const stolen = await Promise.all([0, 1].map((p) => claimPartition(redis, config.redis.prefix, topic, p)));
    expect(stolen.every((c) => c.epoch >= 2)).toBe(true);
    await waitFlushed(redis, config);
    const metrics = await runtime.registry.metrics();
    expect(metric(metrics, 'routemeter_flush_errors_total', 'code="RM_ERR_FLUSH_FENCED"')).toBeGreaterThan(0);
    expect(storedTotals(await readStoredTotals(redis, config.redis.prefix, 60))).toEqual(oracleTotals(lines));
  });

  it('pauses while Redis is away, holds memory to the pending bound, and resumes with nothing lost', async () => {
    const topic = await useTopic('rt-redis-down', 2);
    const lines = makeRouterLines(100_000, { seed: 33 });
    await seed(topic, lines);
    const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const proxy = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
    const proxied = `redis://127.0.0.1:${proxy.port}`;
    const maxPending = 5000;
    const config = runtimeConfig(topic, {
      REDIS_URL: proxied,
      FLUSH_INTERVAL_MS: '100',
      MAX_PENDING_RECORDS: String(maxPending),
    });
    const redis = testRedis({
      redis: { ...config.redis, url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    });
    const runtime = await runRuntime(config, logger, { metricsPort: 0 });
    onTestFinished(async () => {
      await runtime.stop();
      await proxy.close();
      await deleteKeys(redis, config.redis.prefix);
      redis.disconnect();
    });
    // Cut only once every partition has claimed and is fetching (owned). Progress is summed
    // over partitions, so one partition alone can pass 2000 while the other's worker thread
    // is still starting (seen 450 ms to 1.6 s apart on a loaded machine); a partition whose
    // claim is still being retried when Redis goes away never fetches, so it never pauses
    // either: it reports owned 0, paused 0 ("not claimed yet" in /ready), by design.
    await waitFor(
      async () =>
        (await storedProgress(redis, config)) > 2000 &&
        metric(await runtime.registry.metrics(), 'routemeter_partition_owned') === 2,
      { timeoutMs: 60_000, intervalMs: 10, message: 'both partitions claimed, 2000 records stored' },
    );
    await proxy.cut();
    const atCut = await storedProgress(redis, config);
    // Consumption stops at the pending bound instead of buffering the whole topic: every
    // partition with records left to store pauses. (On a loaded machine a partition can be
    // stored to its end before the cut, and one with nothing left to store has no reason
    // to pause.)
    const ends = await highWatermarks(topic);
    const stored = await readOffsets(redis, config.redis.prefix, topic);
    const unfinished = [...ends].filter(
      ([p, end]) => (stored.find((o) => o.partition === p)?.nextOffset ?? '0') !== end,
    ).length;
    expect(unfinished).toBeGreaterThan(0);
    await waitFor(
      async () => metric(await runtime.registry.metrics(), 'routemeter_partition_paused') === unfinished,
      { timeoutMs: 60_000, intervalMs: 100, message: `${unfinished} partition(s) paused` },
    );
    await new Promise((r) => setTimeout(r, 1500));
    const paused = await runtime.registry.metrics();
    expect(await storedProgress(redis, config)).toBe(atCut);
    // one fetch (up to 4 MiB, about 12k lines) may land after the bound is crossed
    expect(metric(paused, 'routemeter_unflushed_records')).toBeLessThanOrEqual(2 * (maxPending + 13_000));
    expect(metric(paused, 'routemeter_consumed_records_total')).toBeLessThan(lines.length);
    expect(metric(paused, 'routemeter_flush_failures_total')).toBeGreaterThan(0);

    await proxy.restore();
    await waitFlushed(redis, config);
    // fetching resumes once the backlog is stored
    await waitFor(async () => metric(await runtime.registry.metrics(), 'routemeter_partition_paused') === 0, {
      timeoutMs: 10_000,
      message: 'partitions resumed',
    });
    expect(storedTotals(await readStoredTotals(redis, config.redis.prefix, 60))).toEqual(oracleTotals(lines));
  });

  it('escalates when worker threads crash more often than the restart budget allows', async () => {
    const topic = await useTopic('rt-escalate', 2);
    const config = runtimeConfig(topic, { RESTART_MAX: '2', RESTART_WINDOW_MS: '60000' });
    let escalated = '';
    const runtime = await runRuntime(config, logger, {
      metricsPort: 0,
      onEscalate: (reason) => {
        escalated = reason;
      },
    });
    onTestFinished(() => runtime.stop().then(() => undefined));
    for (let i = 0; i < 3; i++) {
      await waitFor(() => runtime.supervisor.ready, { timeoutMs: 30_000, message: 'workers alive' });
      runtime.supervisor.injectWorkerCrash(0);
      await waitFor(() => !runtime.supervisor.ready || escalated !== '', { timeoutMs: 10_000 });
    }
    await waitFor(() => escalated !== '', { timeoutMs: 30_000, message: 'escalation' });
    expect(escalated).toMatch(/restarts within/);
  });
});
