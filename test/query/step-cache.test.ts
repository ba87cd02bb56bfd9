import { describe, expect, it } from 'vitest';
import type { RouteWindows } from '../../src/query/query-routes.js';
import { foldSeries } from '../../src/query/query-series.js';
import type { RouteStats } from '../../src/query/route-stats.js';
import { StepCache } from '../../src/query/step-cache.js';

const stats = (count: number) =>
  ({
    count,
    rpm: count,
    p50Ms: 1,
    p95Ms: 1,
    p99Ms: 1,
    maxMs: 1,
    errorRate: 0,
    statusClasses: { '1xx': 0, '2xx': count, '3xx': 0, '4xx': 0, '5xx': 0, other: 0 },
    routerCodes: [],
  }) as unknown as RouteStats;

function windows(starts: number[]): RouteWindows {
  return {
    app: 'a',
    resolutionSeconds: 60,
    fromMs: 0,
    toMs: 300_000,
    spanMs: 300_000,
    coveredMs: 300_000,
    windowStarts: starts,
    hashes: starts.map(() => ({})),
    hashStarts: starts,
  };
}

describe('StepCache', () => {
  it('keeps only steps that end before the final horizon, and expires entries', async () => {
    let t = 0;
    const cache = new StepCache(100, 1000, () => t);
    const merged: number[] = [];
    const merge = (hashes: unknown[], o: { spanMs: number }) => {
      merged.push(hashes.length);
      return [stats(hashes.length * 10 + o.spanMs / 60_000)];
    };
    const query = {
      app: 'a',
      fromMs: 0,
      toMs: 300_000,
      startMs: 0,
      stepSeconds: 60,
      resolution: 60,
      stepCache: cache,
    };
    // steps 0..4; the horizon is at 180 s: steps 0, 1 and 2 are final
    await foldSeries(windows([0, 60, 120, 180, 240]), { ...query, finalBeforeMs: 180_000 }, merge as never);
    expect(merged).toEqual([1, 1, 1, 1, 1]);
    expect(cache.size).toBe(3);
    t = 999;
    expect(cache.get('a\n\n60\n60\n60000')?.count).toBe(11);
    t = 1000;
    expect(cache.get('a\n\n60\n60\n60000')).toBeUndefined();
  });

  it('known steps are used as they are, never re-merged', async () => {
    const cache = new StepCache();
    const merged: number[] = [];
    const merge = (hashes: unknown[]) => {
      merged.push(hashes.length);
      return [stats(7)];
    };
    const result = await foldSeries(
      windows([120]),
      {
        app: 'a',
        fromMs: 0,
        toMs: 180_000,
        startMs: 0,
        stepSeconds: 60,
        resolution: 60,
        stepCache: cache,
        finalBeforeMs: 120_000,
        knownSteps: new Map([
          [0, stats(3)],
          [60_000, null],
        ]),
      },
      merge as never,
    );
    expect(merged).toEqual([1]);
    expect(result.data['rpm.2xx']).toEqual([3, null, 7]);
  });
});
