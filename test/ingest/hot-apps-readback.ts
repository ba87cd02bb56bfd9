import { expect, onTestFinished } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { findAppPartitions } from '../../src/query/find-app-partitions.js';
import { queryRoutes } from '../../src/query/query-routes.js';
import { runRuntime } from '../../src/runtime/run-runtime.js';
import { deleteKeys, runtimeConfig, testLogger, testRedis, waitFlushed } from '../runtime/runtime-harness.js';
import { type OracleLine, oracle } from '../support/router-lines.js';

/**
 * Runs the real runtime over `topic` until it has flushed everything, then checks that
 * the query module's merge over every partition gives back exactly the oracle's
 * per-route numbers for each app of `lines`. Returns the partitions (hash tags) of each app.
 * The runtime, its Redis keys and client are removed when the test finishes.
 */
export async function expectRoutesReadBackExactly(
  topic: string,
  partitions: string,
  lines: OracleLine[],
): Promise<Map<string, string[]>> {
  const config: Config = runtimeConfig(topic, { TOPIC_PARTITIONS: partitions });
  const redis = testRedis(config);
  const runtime = await runRuntime(config, testLogger, { metricsPort: 0 });
  onTestFinished(async () => {
    await runtime.stop();
    await deleteKeys(redis, config.redis.prefix);
    redis.disconnect();
  });
  await waitFlushed(redis, config);

  const want = oracle(lines);
  const fromMs = Math.min(...lines.map((l) => l.timestampMs));
  const toMs = Math.max(...lines.map((l) => l.timestampMs)) + 60_000;
  const tagsOf = new Map<string, string[]>();
  for (const app of new Set(lines.map((l) => l.app))) {
    tagsOf.set(app, await findAppPartitions(redis, config.redis.prefix, app));
    const routes = await queryRoutes(redis, config.redis.prefix, {
      app,
      fromMs,
      toMs,
      resolution: config.runtime.windowSeconds,
      routeCap: config.runtime.routeCapPerApp,
    });
    const got = new Map(routes.map((s) => [`${app} ${s.route}`, [s.count, s.maxMs, s.statusClasses['5xx']]]));
    const expected = new Map(
      [...want]
        .filter(([k]) => k.startsWith(`${app} `))
        .map(([k, v]) => [k, [v.count, v.maxMs, v.status5xx]]),
    );
    expect(got).toEqual(expected);
    for (const s of routes) {
      const o = want.get(`${app} ${s.route}`)!;
      expect(s.avgMs! * s.count).toBeCloseTo(o.serviceSumMs, 6);
    }
  }
  return tagsOf;
}
