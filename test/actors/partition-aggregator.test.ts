import { describe, expect, it } from 'vitest';
import type { WindowDelta } from '../../src/actors/flush-batch.js';
import { createLatencyHistogram } from '../../src/actors/latency-histogram.js';
import { OVERFLOW_ROUTE, PartitionAggregator } from '../../src/actors/partition-aggregator.js';
import { RouteTemplater } from '../../src/actors/route-template.js';
import { decodeSparseHistogramInto, mergeSparseHistograms } from '../../src/actors/sparse-histogram.js';
import { createLineGenerator } from '../../src/gen/line-generator.js';
import { createRouterEvent, type RouterEvent } from '../../src/logplex/router-event.js';
import { parseRouterEvent, scanRouterEvent } from '../../src/logplex/router-line.js';
import { event, generateEvents } from './router-events.js';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0); // a roll-up boundary
const NOW = () => T0 + 3_600_000;

function aggregator(overrides: Partial<ConstructorParameters<typeof PartitionAggregator>[0]> = {}) {
  return new PartitionAggregator({
    windowSeconds: 10,
    rollupSeconds: 60,
    allowedLatenessSeconds: 3600,
    routeCapPerApp: 500,
    clock: NOW,
    ...overrides,
  });
}

interface Totals {
  count: number;
  serviceSum: number;
  serviceCount: number;
  serviceMax: number;
  connectSum: number;
  connectCount: number;
  bytes: number;
  classes: number[];
  codes: Record<string, number>;
  service: number[];
  connect: number[];
}

const keyOf = (res: number, start: number, app: string, route: string) => `${res}|${start}|${app}|${route}`;

/** Sums deltas of several drains per (resolution, window, app, route), as Redis does. */
function combine(deltas: WindowDelta[]): Map<string, Totals> {
  const out = new Map<string, Totals>();
  for (const d of deltas) {
    const k = keyOf(d.resolutionSeconds, d.windowStart, d.app, d.route);
    const t = out.get(k) ?? {
      count: 0,
      serviceSum: 0,
      serviceCount: 0,
      serviceMax: 0,
      connectSum: 0,
      connectCount: 0,
      bytes: 0,
      classes: [0, 0, 0, 0, 0, 0],
      codes: {},
      service: [],
      connect: [],
    };
    t.count += d.count;
    t.serviceSum += d.serviceSumMs;
    t.serviceCount += d.serviceCount;
    t.serviceMax = Math.max(t.serviceMax, d.serviceMaxMs);
    t.connectSum += d.connectSumMs;
    t.connectCount += d.connectCount;
    t.bytes += d.bytes;
    d.statusClasses.forEach((n, i) => {
      t.classes[i]! += n;
    });
    for (const [c, n] of Object.entries(d.codes)) t.codes[c] = (t.codes[c] ?? 0) + n;
    t.service = mergeSparseHistograms(t.service, d.serviceHistogram);
    t.connect = mergeSparseHistograms(t.connect, d.connectHistogram);
    out.set(k, t);
  }
  return out;
}

interface OracleEntry {
  count: number;
  serviceSum: number;
  serviceValues: number[];
  connectSum: number;
  connectCount: number;
  bytes: number;
  classes: number[];
  codes: Record<string, number>;
}

/** What the deltas must add up to, computed the obvious way. */
function oracle(events: RouterEvent[], routes: string[], resolutions: number[]): Map<string, OracleEntry> {
  const out = new Map<string, OracleEntry>();
  events.forEach((ev, i) => {
    for (const res of resolutions) {
      const start = Math.floor(ev.timestampMs / 1000 / res) * res;
      const k = keyOf(res, start, ev.app, routes[i]!);
      const o = out.get(k) ?? {
        count: 0,
        serviceSum: 0,
        serviceValues: [],
        connectSum: 0,
        connectCount: 0,
        bytes: 0,
        classes: [0, 0, 0, 0, 0, 0],
        codes: {},
      };
      o.count++;
      if (ev.serviceMs >= 0) {
        o.serviceSum += ev.serviceMs;
        o.serviceValues.push(ev.serviceMs);
      }
      if (ev.connectMs >= 0) {
        o.connectSum += ev.connectMs;
        o.connectCount++;
      }
      if (ev.bytes > 0) o.bytes += ev.bytes;
      o.classes[ev.status >= 100 && ev.status < 600 ? Math.floor(ev.status / 100) - 1 : 5]!++;
      if (ev.status >= 400) o.codes[ev.status] = (o.codes[ev.status] ?? 0) + 1;
      if (ev.code) o.codes[ev.code] = (o.codes[ev.code] ?? 0) + 1;
      out.set(k, o);
    }
  });
  return out;
}

function exactQuantile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

function runWithDrains(agg: PartitionAggregator, events: RouterEvent[], every: number): WindowDelta[] {
  const deltas: WindowDelta[] = [];
  events.forEach((ev, i) => {
    agg.record(ev);
    if ((i + 1) % every === 0) deltas.push(...agg.drain().deltas);
  });
  deltas.push(...agg.drain().deltas);
  return deltas;
}

describe('PartitionAggregator', () => {
  const { events, routes } = generateEvents(20_000, T0, 5 * 60_000);

  it('adds up exactly to an oracle, for both resolutions, whatever the drain points', () => {
    const expected = oracle(events, routes, [10, 60]);
    for (const every of [1_000, 3_333, 20_000]) {
      const combined = combine(runWithDrains(aggregator(), events, every));
      expect([...combined.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [k, o] of expected) {
        const t = combined.get(k)!;
        expect(t.count, k).toBe(o.count);
        expect(t.serviceSum, k).toBe(o.serviceSum);
        expect(t.serviceCount, k).toBe(o.serviceValues.length);
        expect(t.serviceMax, k).toBe(o.serviceValues.length ? Math.max(...o.serviceValues) : 0);
        expect(t.connectSum, k).toBe(o.connectSum);
        expect(t.connectCount, k).toBe(o.connectCount);
        expect(t.bytes, k).toBe(o.bytes);
        expect(t.classes, k).toEqual(o.classes);
        expect(t.codes, k).toEqual(o.codes);
      }
    }
  });

  it('gives quantiles within HDR precision (2 digits) of the exact ones', () => {
    const expected = oracle(events, routes, [60]);
    const combined = combine(runWithDrains(aggregator(), events, 2_500));
    let checked = 0;
    for (const [k, o] of expected) {
      if (o.serviceValues.length < 50) continue;
      const h = createLatencyHistogram();
      decodeSparseHistogramInto(combined.get(k)!.service, h);
      expect(h.totalCount).toBe(o.serviceValues.length);
      const sorted = [...o.serviceValues].sort((a, b) => a - b);
      for (const p of [50, 95, 99]) {
        const exact = exactQuantile(sorted, p);
        const approx = h.getValueAtPercentile(p);
        expect(approx, `${k} p${p}`).toBeGreaterThanOrEqual(exact);
        expect(approx, `${k} p${p}`).toBeLessThanOrEqual(exact * (1 + 1 / 128) + 1);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('records into windows by event time, not by when it is drained', () => {
    const agg = aggregator();
    agg.record(event({ timestampMs: T0 + 9_999 }));
    agg.record(event({ timestampMs: T0 + 10_000 }));
    agg.record(event({ timestampMs: T0 + 65_000 }));
    const short = agg
      .drain()
      .deltas.filter((d) => d.resolutionSeconds === 10)
      .map((d) => [d.windowStart, d.count]);
    const s0 = T0 / 1000;
    expect(short).toEqual([
      [s0, 1],
      [s0 + 10, 1],
      [s0 + 60, 1],
    ]);
  });

  it('derives each roll-up window from its short windows', () => {
    const agg = aggregator();
    agg.record(event({ timestampMs: T0 + 1_000, serviceMs: 5, status: 200 }));
    agg.record(event({ timestampMs: T0 + 21_000, serviceMs: 700, status: 503, code: 'H12' }));
    agg.record(event({ timestampMs: T0 + 61_000, serviceMs: 9 }));
    const rollups = agg.drain().deltas.filter((d) => d.resolutionSeconds === 60);
    expect(rollups).toHaveLength(2);
    const [first, second] = rollups;
    expect(first).toMatchObject({
      windowStart: T0 / 1000,
      count: 2,
      serviceSumMs: 705,
      serviceMaxMs: 700,
      codes: { '503': 1, H12: 1 },
    });
    expect(first!.serviceHistogram).toEqual([5, 1, 700, 1]);
    expect(second).toMatchObject({ windowStart: T0 / 1000 + 60, count: 1, serviceHistogram: [9, 1] });
  });

  it('emits a single resolution when roll-up and window are the same length', () => {
    const agg = aggregator({ windowSeconds: 60, rollupSeconds: 60 });
    agg.record(event({ timestampMs: T0 }));
    expect(agg.drain().deltas.map((d) => d.resolutionSeconds)).toEqual([60]);
  });

  it('counts statuses, error codes, bytes and a 0 ms connect; skips empty fields', () => {
    const agg = aggregator();
    agg.record(event({ timestampMs: T0, status: 503, code: 'H10', serviceMs: -1, connectMs: -1, bytes: -1 }));
    agg.record(event({ timestampMs: T0, status: 200, serviceMs: 6, connectMs: 0, bytes: 1548 }));
    agg.record(event({ timestampMs: T0, status: -1, serviceMs: 2, connectMs: 0, bytes: 0 }));
    const [d] = agg.drain().deltas;
    expect(d).toMatchObject({
      route: 'GET /',
      count: 3,
      serviceCount: 2,
      serviceSumMs: 8,
      serviceMaxMs: 6,
      connectCount: 2,
      connectSumMs: 0,
      bytes: 1548,
      statusClasses: [0, 1, 0, 0, 1, 1],
      codes: { '503': 1, H10: 1 },
      connectHistogram: [0, 2],
    });
  });

  describe('late data', () => {
    it('drops records older than watermark − allowed lateness, and counts them', () => {
      const agg = aggregator({ allowedLatenessSeconds: 60 });
      agg.record(event({ timestampMs: T0 + 120_000 }));
      agg.record(event({ timestampMs: T0 + 60_000 })); // exactly at the limit: kept
      agg.record(event({ timestampMs: T0 + 59_999 })); // late
      agg.record(event({ timestampMs: T0 + 130_000 }));
      agg.record(event({ timestampMs: T0 + 60_000 })); // now late: the watermark moved
      const drained = agg.drain();
      expect(drained.late).toBe(2);
      expect(drained.records).toBe(3);
      expect(drained.watermarkMs).toBe(T0 + 130_000);
    });

    it('makes the same decisions after a restart when the watermark is restored', () => {
      const stream = [T0 + 100_000, T0 + 50_000, T0 + 30_000, T0 + 101_000].map((t) =>
        event({ timestampMs: t }),
      );
      const first = aggregator({ allowedLatenessSeconds: 60 });
      first.record(stream[0]!);
      const { watermarkMs } = first.drain();
      for (const ev of stream.slice(1)) first.record(ev);
      const restarted = aggregator({ allowedLatenessSeconds: 60, watermarkMs });
      for (const ev of stream.slice(1)) restarted.record(ev);
      expect(restarted.drain()).toEqual(first.drain());
    });

    it('restores a watermark into an aggregator built before the claim', () => {
      const agg = aggregator({ allowedLatenessSeconds: 60 });
      agg.restoreWatermark(T0 + 100_000);
      agg.restoreWatermark(null);
      agg.restoreWatermark(T0); // never lowers it
      agg.record(event({ timestampMs: T0 + 30_000 }));
      expect(agg.drain()).toMatchObject({ late: 1, records: 0, watermarkMs: T0 + 100_000 });
    });

    it('rejects unusable timestamps: not positive, not a number, or far in the future', () => {
      let now = T0;
      const agg = aggregator({ clock: () => now, maxFutureSkewSeconds: 300 });
      agg.record(event({ timestampMs: 0 }));
      agg.record(event({ timestampMs: Number.NaN }));
      agg.record(event({ timestampMs: T0 + 301_000 }));
      agg.record(event({ timestampMs: T0 + 299_000 }));
      now = T0 + 10_000; // the wall clock moved on: the limit follows it
      agg.record(event({ timestampMs: T0 + 305_000 }));
      const drained = agg.drain();
      expect(drained.rejected).toBe(3);
      expect(drained.records).toBe(2);
    });
  });

  describe('per-app route cap', () => {
    const hit = (agg: PartitionAggregator, path: string, t = T0, app = 'a.example.com') =>
      agg.record(event({ timestampMs: t, path, app }));

    it('sends routes beyond the cap to the overflow route and counts them', () => {
      const agg = aggregator({ routeCapPerApp: 2 });
      hit(agg, '/a');
      hit(agg, '/b');
      hit(agg, '/c');
      hit(agg, '/a'); // already admitted
      hit(agg, '/d');
      hit(agg, '/c', T0, 'b.example.com'); // another app has its own cap
      const drained = agg.drain();
      expect(drained.overflowed).toBe(2);
      const short = drained.deltas.filter((d) => d.resolutionSeconds === 10);
      const counts = Object.fromEntries(short.map((d) => [`${d.app} ${d.route}`, d.count]));
      expect(counts).toEqual({
        'a.example.com GET /a': 2,
        'a.example.com GET /b': 1,
        [`a.example.com ${OVERFLOW_ROUTE}`]: 2,
        'b.example.com GET /c': 1,
      });
    });

    it('re-admits routes per roll-up generation of the watermark, regardless of drains', () => {
      const agg = aggregator({ routeCapPerApp: 1 });
      hit(agg, '/a');
      agg.drain();
      hit(agg, '/b'); // same generation: /a holds the only slot
      expect(agg.drain().overflowed).toBe(1);
      hit(agg, '/b', T0 + 60_000); // next roll-up: slots are free again
      hit(agg, '/a', T0 + 60_500);
      const drained = agg.drain();
      expect(drained.overflowed).toBe(1);
      expect(drained.deltas.find((d) => d.route === 'GET /b')?.count).toBe(1);
    });
  });

  describe('memory', () => {
    it('forgets windows after a drain and reuses them; evicts routes idle since an older generation', () => {
      const agg = aggregator({ templater: new RouteTemplater() }); // cache not counted
      for (let i = 0; i < 50; i++) hit50(agg, i, T0);
      expect(agg.activeRoutes).toBe(50);
      expect(agg.openWindows).toBe(50);
      const before = agg.memoryEstimateBytes;
      agg.drain();
      expect(agg.activeRoutes).toBe(0);
      expect(agg.openWindows).toBe(0);
      expect(agg.trackedRoutes).toBe(50); // admitted this generation: kept (cheap shells)
      for (let i = 0; i < 50; i++) hit50(agg, i, T0 + 1000);
      agg.drain();
      expect(agg.memoryEstimateBytes).toBeLessThanOrEqual(before);
      // a new roll-up generation; only 5 routes stay busy
      for (let i = 0; i < 5; i++) hit50(agg, i, T0 + 61_000);
      agg.drain();
      agg.drain();
      expect(agg.trackedRoutes).toBe(5);
      expect(agg.memoryEstimateBytes).toBeLessThan(before / 5);
    });

    it('stays within 8 KB per active route (both histograms and counters)', () => {
      // the template cache is per raw path, not per route: share one so it is not counted
      const agg = aggregator({ templater: new RouteTemplater() });
      const { events: many } = generateEvents(5_000, T0 + 5_000, 4_000, 3);
      for (const ev of many) agg.record(ev);
      expect(agg.openWindows).toBe(agg.activeRoutes);
      expect(agg.memoryEstimateBytes / agg.activeRoutes).toBeLessThan(8 * 1024);
    });
  });

  it('validates its options with messages naming the variable', () => {
    expect(() => aggregator({ rollupSeconds: 45 })).toThrow(/ROLLUP_SECONDS .* multiple of WINDOW_SECONDS/);
    expect(() => aggregator({ windowSeconds: 0 })).toThrow(/WINDOW_SECONDS/);
    expect(() => aggregator({ routeCapPerApp: 0 })).toThrow(/ROUTE_CAP_PER_APP/);
    expect(() => aggregator({ allowedLatenessSeconds: -1 })).toThrow(/ALLOWED_LATENESS_SECONDS/);
    expect(() => aggregator({ watermarkMs: Number.NaN })).toThrow(/watermarkMs/);
  });

  it('builds from Config.runtime', () => {
    const agg = PartitionAggregator.fromConfig(
      {
        windowSeconds: 10,
        rollupSeconds: 60,
        allowedLatenessSeconds: 3600,
        routeCapPerApp: 500,
        routePatterns: [{ pattern: 'v\\d+', placeholder: ':v' }],
      },
      { clock: NOW },
    );
    agg.record(event({ timestampMs: T0, path: '/api/v2/users/1' }));
    expect(agg.drain().deltas[0]!.route).toBe('GET /api/:v/users/:id');
  });
});

function hit50(agg: PartitionAggregator, i: number, t: number): void {
  agg.record(event({ timestampMs: t, path: `/r${i}`, serviceMs: 100 + i }));
}

describe('PartitionAggregator from record bytes (scanRouterEvent)', () => {
  it('drains exactly what the same lines parsed to strings drain: routes, cap, overflow, idle apps', () => {
    // 40 apps × 30 routes, a route cap that bites, and time gaps that make apps go idle
    // and be forgotten, so the byte lookup of apps must forget them too.
    let clock = T0;
    const gen = createLineGenerator({ seed: 7, apps: 40, routes: 30, clock: () => clock });
    const byBytes = aggregator({ routeCapPerApp: 12, clock: () => clock + 1000 });
    const byStrings = aggregator({ routeCapPerApp: 12, clock: () => clock + 1000 });
    const scanned = createRouterEvent();
    const parsed = createRouterEvent();
    const drains: Array<[unknown, unknown]> = [];
    let recorded = 0;
    for (let round = 0; round < 12; round++) {
      for (let i = 0; i < 3000; i++) {
        clock += round % 4 === 3 ? 200 : 7; // every 4th round jumps ahead (apps idle a roll-up)
        const g = gen();
        if (g.kind !== 'router') continue;
        // inside a bigger buffer, like a fetched record value
        const buf = Buffer.from(`xx${g.line}yy`);
        const end = 2 + Buffer.byteLength(g.line);
        expect(scanRouterEvent(buf, 2, end, scanned)).toBe(true);
        expect(parseRouterEvent(buf, 2, end, parsed)).toBe(true);
        byBytes.record(scanned);
        byStrings.record(parsed);
        buf.fill(0); // the fetcher reuses its buffers: nothing may keep pointing into them
        recorded++;
      }
      drains.push([byBytes.drain(), byStrings.drain()]);
    }
    expect(recorded).toBeGreaterThan(30_000);
    let overflowed = 0;
    for (const [a, b] of drains) {
      expect(a).toEqual(b);
      overflowed += (a as { overflowed: number }).overflowed;
    }
    expect(overflowed).toBeGreaterThan(0);
  });
});
