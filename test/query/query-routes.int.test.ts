import { describe, expect, it, onTestFinished } from 'vitest';
import { listApps } from '../../src/query/list-apps.js';
import { queryRoutes, readRouteWindows } from '../../src/query/query-routes.js';
import { generateEvents } from '../actors/router-events.js';
import { testRedis } from '../sinks/redis/test-redis.js';
import { ingest, runtime } from './ingest-events.js';

const resolutions = {
  windowSeconds: 10,
  rollupSeconds: 60,
  windowRetentionSeconds: runtime.windowRetentionSeconds,
};

describe('queryRoutes', () => {
  const T0 = Math.floor(Date.now() / 600_000) * 600_000 - 1_200_000; // 20-30 minutes ago, on a 10-minute boundary
  const { events, routes } = generateEvents(8_000, T0, 10 * 60_000, 5);

  it('returns exact counts and averages, and quantiles within HDR precision, at both resolutions', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    await ingest(redis, prefix, events);
    const app = 'shop.example.com';
    for (const resolution of [10, 60]) {
      const stats = await queryRoutes(redis, prefix, { app, fromMs: T0, toMs: T0 + 10 * 60_000, resolution });
      const expectedRoutes = new Set(routes.filter((_, i) => events[i]!.app === app));
      expect(new Set(stats.map((s) => s.route))).toEqual(expectedRoutes);
      for (const s of stats) {
        const mine = events.filter((e, i) => e.app === app && routes[i] === s.route);
        const service = mine
          .map((e) => e.serviceMs)
          .filter((v) => v >= 0)
          .sort((a, b) => a - b);
        expect(s.count, s.route).toBe(mine.length);
        expect(s.rpm).toBeCloseTo(mine.length / 10, 6);
        expect(s.avgMs, s.route).toBe(service.reduce((a, b) => a + b, 0) / service.length);
        expect(s.maxMs).toBe(service[service.length - 1]);
        expect(s.statusClasses['5xx']).toBe(mine.filter((e) => e.status === 503).length);
        expect(s.routerCodes.find((c) => c.code === 'H12')?.count ?? 0).toBe(
          mine.filter((e) => e.code === 'H12').length,
        );
        for (const [p, got] of [
          [50, s.p50Ms],
          [95, s.p95Ms],
          [99, s.p99Ms],
        ] as const) {
          const exact = service[Math.max(1, Math.ceil((p / 100) * service.length)) - 1]!;
          expect(got!, `${s.route} p${p}`).toBeGreaterThanOrEqual(exact);
          expect(got!, `${s.route} p${p}`).toBeLessThanOrEqual(exact * (1 + 1 / 128) + 1);
        }
      }
    }
  });

  it('reads only the windows of the range, choosing the resolution from its length', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    await ingest(redis, prefix, events, 1);
    const app = 'api.example.com';
    const short = await readRouteWindows(redis, prefix, {
      app,
      fromMs: T0 + 60_000,
      toMs: T0 + 120_000,
      resolutions,
    });
    expect(short.resolutionSeconds).toBe(10);
    expect(short.windowStarts).toEqual([0, 1, 2, 3, 4, 5].map((k) => T0 / 1000 + 60 + k * 10));
    const counted = (
      await queryRoutes(redis, prefix, { app, fromMs: T0 + 60_000, toMs: T0 + 120_000, resolutions })
    )
      .map((s) => s.count)
      .reduce((a, b) => a + b, 0);
    expect(counted).toBe(
      events.filter((e) => e.app === app && e.timestampMs >= T0 + 60_000 && e.timestampMs < T0 + 120_000)
        .length,
    );
    const long = await readRouteWindows(redis, prefix, {
      app,
      fromMs: T0 - 86_400_000,
      toMs: T0 + 3_600_000,
      resolutions,
    });
    expect(long.resolutionSeconds).toBe(60);
    expect(long.windowStarts.length).toBeGreaterThanOrEqual(10);
    expect(
      await queryRoutes(redis, prefix, { app: 'nobody.example.com', fromMs: T0, toMs: T0 + 1000 }),
    ).toEqual([]);
  });

  it('lists apps, most recently seen first', async () => {
    const { redis, prefix, cleanup } = testRedis();
    onTestFinished(cleanup);
    await ingest(redis, prefix, events, 1);
    const apps = await listApps(redis, prefix);
    expect(apps.map((a) => a.app).sort()).toEqual(['api.example.com', 'shop.example.com']);
    expect(apps[0]!.lastSeenMs).toBeGreaterThanOrEqual(T0 + 9 * 60_000);
  });
});
