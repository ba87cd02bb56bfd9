import { describe, expect, it, onTestFinished } from 'vitest';
import { type RunningRuntime, runRuntime } from '../../src/runtime/run-runtime.js';
import { useTopic, waitFor } from '../support/kafka.js';
import { freePort } from '../support/private-kafka.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { makeRouterLines } from '../support/router-lines.js';
import { metricSum, runtimeConfig, seed, testLogger, testRedis, waitFlushed } from './runtime-harness.js';

/**
 * Readiness, liveness, lag and the store-outage exit against the real Kafka and
 * a redis-server of the test's own, which it pauses with SIGSTOP (a stalled
 * Redis: connections open, no answers). The shared Redis is never touched.
 */
async function get(
  runtime: RunningRuntime,
  path: string,
): Promise<{ status: number; body: { ok: boolean; reasons?: string[] } }> {
  const res = await fetch(`http://127.0.0.1:${runtime.metrics.port}${path}`);
  return { status: res.status, body: (await res.json()) as { ok: boolean; reasons?: string[] } };
}

async function scrape(runtime: RunningRuntime): Promise<string> {
  return (await fetch(`http://127.0.0.1:${runtime.metrics.port}/metrics`)).text();
}

describe('runtime readiness, liveness and lag (real Kafka, private Redis)', () => {
  it('is ready only while Kafka and Redis answer; lag grows while Redis is stalled; a stuck worker fails liveness', async () => {
    const redisServer = await usePrivateRedis();
    const topic = await useTopic('rt-health', 2);
    const first = makeRouterLines(2000, { seed: 11, apps: 3 });
    await seed(topic, first);
    const config = runtimeConfig(topic, {
      REDIS_URL: redisServer.url,
      LAG_PROBE_INTERVAL_MS: '300',
      LIVENESS_STALL_MS: '1500',
      MAX_PENDING_RECORDS: '1000',
    });
    const redis = testRedis(config);
    let escalated: string | null = null;
    const runtime = await runRuntime(config, testLogger, {
      metricsPort: 0,
      onEscalate: (reason) => {
        escalated = reason;
      },
    });
    onTestFinished(async () => {
      redisServer.resume();
      await runtime.stop();
      redis.disconnect();
    });

    await waitFor(async () => (await get(runtime, '/readyz')).status === 200, {
      timeoutMs: 60_000,
      message: 'ready once both partitions are claimed',
    });
    await waitFlushed(redis, config);
    await waitFor(async () => metricSum(await scrape(runtime), 'routemeter_consumer_lag_records') === 0, {
      timeoutMs: 10_000,
      message: 'lag 0 once everything is stored',
    });
    expect((await get(runtime, '/healthz')).status).toBe(200);

    // Redis stalls: not ready, naming the store, and the lag counts every record produced meanwhile.
    redisServer.pause();
    const during = makeRouterLines(3000, { seed: 12, apps: 3 });
    await seed(topic, during);
    await waitFor(
      async () => {
        const r = await get(runtime, '/readyz');
        return r.status === 503 && (r.body.reasons ?? []).some((x) => x.includes('store unreachable'));
      },
      { timeoutMs: 15_000, message: '/readyz 503 naming the store' },
    );
    let lagSeen = 0;
    await waitFor(
      async () => {
        lagSeen = metricSum(await scrape(runtime), 'routemeter_consumer_lag_records');
        return lagSeen >= during.length;
      },
      { timeoutMs: 20_000, message: `lag reaches the ${during.length} records produced during the stall` },
    );
    const stalled = await scrape(runtime);
    expect(metricSum(stalled, 'routemeter_dependency_up', 'dependency="redis"')).toBe(0);
    expect(metricSum(stalled, 'routemeter_ready')).toBe(0);
    expect(escalated).toBeNull(); // STORE_OUTAGE_EXIT_MS (5 min by default) is far away
    console.log(`stall: lag seen ${lagSeen} records, readiness 503`);

    // Redis back: everything stored, lag back to 0, ready again.
    redisServer.resume();
    await waitFlushed(redis, config, 60_000);
    await waitFor(async () => (await get(runtime, '/readyz')).status === 200, {
      timeoutMs: 30_000,
      message: 'ready again after the stall',
    });
    await waitFor(async () => metricSum(await scrape(runtime), 'routemeter_consumer_lag_records') === 0, {
      timeoutMs: 10_000,
      message: 'lag back to 0',
    });

    // A worker whose event loop is stuck fails liveness, and passes again when it moves.
    runtime.supervisor.injectWorkerStall(0, 4000);
    await waitFor(
      async () => {
        const r = await get(runtime, '/healthz');
        return r.status === 503 && (r.body.reasons ?? []).some((x) => x.startsWith('worker 0 silent'));
      },
      { timeoutMs: 10_000, message: '/healthz 503 naming the stuck worker' },
    );
    await waitFor(async () => (await get(runtime, '/healthz')).status === 200, {
      timeoutMs: 15_000,
      message: '/healthz 200 once the worker runs again',
    });
    const heap = metricSum(await scrape(runtime), 'routemeter_worker_heap_used_bytes', 'worker="0"');
    expect(heap).toBeGreaterThan(1_000_000);
  });

  it('with the store unreachable from the start: never ready, lag from the log start, exits after STORE_OUTAGE_EXIT_MS', async () => {
    const topic = await useTopic('rt-nostore', 2);
    const lines = makeRouterLines(500, { seed: 13, apps: 2 });
    await seed(topic, lines);
    const config = runtimeConfig(topic, {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      LAG_PROBE_INTERVAL_MS: '300',
      STORE_OUTAGE_EXIT_MS: '4000',
    });
    let escalated: string | null = null;
    const started = Date.now();
    const runtime = await runRuntime(config, testLogger, {
      metricsPort: 0,
      onEscalate: (reason) => {
        escalated ??= reason;
      },
    });
    onTestFinished(() => runtime.stop().then(() => {}));
    await waitFor(
      async () => {
        const r = await get(runtime, '/readyz');
        const reasons = (r.body.reasons ?? []).join('; ');
        return r.status === 503 && reasons.includes('store unreachable') && reasons.includes('not claimed');
      },
      { timeoutMs: 30_000, message: '/readyz 503: store unreachable, partitions not claimed' },
    );
    await waitFor(
      async () => metricSum(await scrape(runtime), 'routemeter_consumer_lag_records') === lines.length,
      {
        timeoutMs: 15_000,
        message: 'lag of the unclaimed partitions = every record (never stored, never committed)',
      },
    );
    await waitFor(() => escalated !== null, {
      timeoutMs: 15_000,
      message: 'escalation after the store outage',
    });
    expect(escalated).toMatch(/store unreachable for \d+ s/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
    expect((await get(runtime, '/readyz')).status).toBe(503);
  });
});
