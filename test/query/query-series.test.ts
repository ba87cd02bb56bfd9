import { describe, expect, it } from 'vitest';
import { coveredMs, type RouteWindows } from '../../src/query/query-routes.js';
import { foldSeries, formatStep } from '../../src/query/query-series.js';
import type { RouteStats } from '../../src/query/route-stats.js';

describe('series folding', () => {
  it('formats steps as Heroku does', () => {
    expect([10, 60, 300, 3600, 86_400, 90].map(formatStep)).toEqual(['10s', '1m', '5m', '1h', '1d', '90s']);
  });

  it('covered time: first window with data to the end of the last, capped at the range end', () => {
    expect(coveredMs([], 10, 1_000_000)).toBe(0);
    expect(coveredMs([100, 110], 10, 1_000_000)).toBe(20_000);
    expect(coveredMs([100, 110], 10, 115_000)).toBe(15_000);
  });

  it('groups windows into steps, merges each step once, and leaves empty steps null', async () => {
    const hash = (n: number) => ({ [`GET /|s`]: new Uint8Array([n]) });
    const windows: RouteWindows = {
      app: 'a',
      resolutionSeconds: 60,
      fromMs: 0,
      toMs: 600_000,
      spanMs: 600_000,
      coveredMs: 600_000,
      // steps of 5 minutes: windows 0 and 60 in the first, none in the second
      windowStarts: [0, 60],
      hashes: [hash(1), hash(2)],
      hashStarts: [0, 60],
    };
    const calls: Array<{ n: number; spanMs: number; mergeAs?: string; route?: string }> = [];
    const merge = (hashes: unknown[], options: { spanMs: number; mergeAs?: string; route?: string }) => {
      calls.push({ n: hashes.length, ...options });
      const stats = {
        count: 10,
        rpm: 2,
        p50Ms: 5,
        p95Ms: 9,
        p99Ms: 12,
        maxMs: 20,
        errorRate: 0.1,
        statusClasses: { '1xx': 0, '2xx': 8, '3xx': 0, '4xx': 1, '5xx': 1, other: 0 },
        routerCodes: [{ code: 'H12', count: 1 }],
      } as unknown as RouteStats;
      return [stats];
    };
    const result = await foldSeries(
      windows,
      { app: 'a', fromMs: 0, toMs: 600_000, startMs: 0, stepSeconds: 300, route: 'GET /' },
      merge as never,
    );
    expect(calls).toEqual([{ n: 2, app: 'a', spanMs: 300_000, mergeAs: '*', route: 'GET /' }]);
    expect(result.step).toBe('5m');
    // 8 of 10 requests were 2xx at 2 rpm → 1.6 rpm
    expect(result.data['rpm.2xx']).toEqual([1.6, null]);
    expect(result.data.p99_ms).toEqual([12, null]);
    expect(result.data['codes.H12']).toEqual([1, null]);
    expect(result.end_time).toBe(new Date(600_000).toISOString());
  });
});
