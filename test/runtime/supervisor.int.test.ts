import { afterEach, describe, expect, it } from 'vitest';
import { queryRoutes } from '../../src/query/query-routes.js';
import { type RunningRuntime, runRuntime } from '../../src/runtime/run-runtime.js';
import { useTopic, waitFor } from '../support/kafka.js';
import { exactQuantile, makeRouterLines, oracle } from '../support/router-lines.js';
import {
  deleteKeys,
  testLogger as logger,
  metricSum,
  oracleTotals,
  readStoredTotals,
  runtimeConfig,
  seed,
  storedTotals,
  testRedis,
  waitFlushed,
} from './runtime-harness.js';

describe('Supervisor (real Kafka and Redis)', () => {
  let runtime: RunningRuntime | null = null;
  afterEach(async () => {
    await runtime?.stop();
    runtime = null;
  });

  it('aggregates every partition exactly: counts, sums and max equal an oracle, quantiles within HDR precision', async () => {
    const topic = await useTopic('rt-exact', 4);
    const lines = makeRouterLines(40_000, { seed: 7, apps: 6 });
    await seed(topic, lines);
    // Records that are not router lines: skipped and counted, never a crash.
    const junk = [
      ...Array.from({ length: 20 }, (_, i) => `\u0000\u00ff garbage ${i} ===`),
      ...Array.from(
        { length: 20 },
        (_, i) =>
          `<190>1 2026-01-01T00:00:0${i % 10}.000000+00:00 host app web.1 - Started GET "/" for 1.2.3.4`,
      ),
      '<158>1 not-a-timestamp host heroku router - at=info method=GET path=/ host=x.herokuapp.com status=200',
    ];
    await seed(
      topic,
      junk.map((line, i) => ({ ...lines[i]!, line })),
    );
    const config = runtimeConfig(topic);
    const redis = testRedis(config);
    try {
      runtime = await runRuntime(config, logger, { metricsPort: 0 });
      await waitFlushed(redis, config);
      expect(runtime.supervisor.ownedPartitions).toEqual([0, 1, 2, 3]);

      // Per-route series are fed by the workers' `flushed` messages, which reach the
      // main thread just after Redis has the flush: wait for the last one to land.
      const rt = runtime;
      await waitFor(
        async () => metricSum(await rt.registry.metrics(), 'routemeter_route_requests_total') >= lines.length,
        { timeoutMs: 10_000, message: 'per-route series caught up with the last flush' },
      );
      const metrics = await runtime.registry.metrics();
      expect(metricSum(metrics, 'routemeter_consumed_records_total')).toBe(lines.length + junk.length);
      expect(metricSum(metrics, 'routemeter_parse_failures_total')).toBe(junk.length);
      expect(metricSum(metrics, 'routemeter_late_records_total')).toBe(0);
      expect(metricSum(metrics, 'routemeter_route_requests_total')).toBe(lines.length);

      const expected = oracle(lines);
      // Both resolutions hold the same totals (the roll-up is derived from the short windows).
      for (const resolution of [config.runtime.windowSeconds, config.runtime.rollupSeconds]) {
        const stored = await readStoredTotals(redis, config.redis.prefix, resolution);
        expect(storedTotals(stored)).toEqual(oracleTotals(lines));
      }

      // The query path: merged HDR quantiles against exact ones.
      const apps = new Set(lines.map((l) => l.app));
      const fromMs = Math.min(...lines.map((l) => l.timestampMs));
      const toMs = Math.max(...lines.map((l) => l.timestampMs)) + 1;
      let checked = 0;
      for (const app of apps) {
        const routes = await queryRoutes(redis, config.redis.prefix, { app, fromMs, toMs, resolution: 10 });
        for (const r of routes) {
          const o = expected.get(`${app} ${r.route}`);
          expect(o, `${app} ${r.route}`).toBeDefined();
          expect(r.count).toBe(o!.count);
          expect(r.avgMs).toBeCloseTo(o!.serviceSumMs / o!.count, 9);
          expect(r.maxMs).toBe(o!.maxMs);
          for (const [q, got] of [
            [50, r.p50Ms],
            [95, r.p95Ms],
            [99, r.p99Ms],
          ] as const) {
            const exact = exactQuantile(o!.sorted, q);
            // 2 significant digits: a reported quantile is within 1 % (plus one unit) of the exact one
            expect(Math.abs(got! - exact), `${app} ${r.route} p${q}`).toBeLessThanOrEqual(exact * 0.01 + 1);
          }
          checked++;
        }
      }
      expect(checked).toBe(expected.size);
    } finally {
      await deleteKeys(redis, config.redis.prefix);
      redis.disconnect();
    }
  });
});
