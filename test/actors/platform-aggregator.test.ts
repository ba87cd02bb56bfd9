import { describe, expect, it } from 'vitest';
import { type DynoWindowDelta, emptyDynoDelta, mergeDynoDelta } from '../../src/actors/dyno-flush-batch.js';
import { UNKNOWN_APP } from '../../src/actors/partition-aggregator.js';
import { OVERFLOW_DYNO, PlatformAggregator } from '../../src/actors/platform-aggregator.js';
import { PlatformKind } from '../../src/logplex/platform-event.js';
import {
  dynoError,
  dynoWindowKeyOf,
  expectSameDynoWindows,
  load,
  memory,
  type PlatformInput,
  randomPlatformStream,
} from './platform-events.js';
import { seededRandom } from './router-events.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0); // a roll-up boundary
const NOW = () => T0 + 86_400_000;
const LATENESS_S = 120;
const CAP = 4;

function aggregator(overrides: Partial<ConstructorParameters<typeof PlatformAggregator>[0]> = {}) {
  return new PlatformAggregator({
    windowSeconds: 10,
    rollupSeconds: 60,
    allowedLatenessSeconds: LATENESS_S,
    dynoCapPerApp: CAP,
    clock: NOW,
    ...overrides,
  });
}

const keyOf = dynoWindowKeyOf;

/** Merges the deltas of several drains per (resolution, window, app, dyno), as the store would. */
function combine(deltas: DynoWindowDelta[]): Map<string, DynoWindowDelta> {
  const out = new Map<string, DynoWindowDelta>();
  for (const d of deltas) {
    const k = keyOf(d);
    const into =
      out.get(k) ?? emptyDynoDelta(d.resolutionSeconds, d.windowStart, d.app, d.processType, d.dyno);
    out.set(k, mergeDynoDelta(into, d));
  }
  return out;
}

/** A stream: 3 apps, up to 7 dynos each (over the cap), time moving forward with jitter, some late, bad and ignored lines. */
const stream = (seed: number, n: number): PlatformInput[] =>
  randomPlatformStream(seed, n, { startMs: T0, nowMs: NOW(), latenessSeconds: LATENESS_S });

/** The oracle: the rules of docs/dyno-metrics.md applied record by record, without the actors. */
function oracle(input: PlatformInput[]) {
  const windows = new Map<string, DynoWindowDelta>();
  const counts = { records: 0, overflowed: 0, ignored: 0, late: 0, rejected: 0 };
  let wm = 0;
  const admitted = new Map<string, { gen: number; dynos: Set<string> }>();
  for (const { app: rawApp, ev } of input) {
    const keeps =
      ev.kind === PlatformKind.Error ||
      (ev.kind === PlatformKind.StateChange && (ev.stateTo === 'starting' || ev.stateTo === 'crashed')) ||
      (ev.kind === PlatformKind.Metrics && (ev.memorySeen || ev.loadSeen));
    if (!keeps) {
      counts.ignored++;
      continue;
    }
    const ts = ev.timestampMs;
    if (ts <= 0 || ts > NOW() + 300_000) {
      counts.rejected++;
      continue;
    }
    if (ts < wm - LATENESS_S * 1000) {
      counts.late++;
      continue;
    }
    wm = Math.max(wm, ts);
    const app = rawApp === '' ? UNKNOWN_APP : rawApp;
    const gen = Math.floor(wm / 60_000);
    let a = admitted.get(app);
    if (a === undefined || a.gen !== gen) {
      a = { gen, dynos: new Set() };
      admitted.set(app, a);
    }
    let dyno = ev.dyno;
    let type = ev.processType;
    if (!a.dynos.has(dyno)) {
      if (a.dynos.size >= CAP) {
        dyno = OVERFLOW_DYNO;
        type = OVERFLOW_DYNO;
        counts.overflowed++;
      } else a.dynos.add(dyno);
    }
    counts.records++;
    for (const res of [10, 60]) {
      const start = Math.floor(ts / 1000 / res) * res;
      const k = keyOf({ resolutionSeconds: res, windowStart: start, app, dyno });
      const w = windows.get(k) ?? emptyDynoDelta(res, start, app, type, dyno);
      windows.set(k, w);
      if (ev.kind === PlatformKind.Error) w.events[ev.code] = (w.events[ev.code] ?? 0) + 1;
      else if (ev.kind === PlatformKind.StateChange) {
        const name = ev.stateTo === 'starting' ? 'restart' : 'crash';
        w.events[name] = (w.events[name] ?? 0) + 1;
      } else if (ev.memorySeen) {
        w.memoryTotalMaxMb =
          w.memorySamples === 0 ? ev.memoryTotalMb : Math.max(w.memoryTotalMaxMb, ev.memoryTotalMb);
        w.memoryRssMaxMb =
          w.memorySamples === 0 ? ev.memoryRssMb : Math.max(w.memoryRssMaxMb, ev.memoryRssMb);
        w.memorySwapMaxMb =
          w.memorySamples === 0 ? ev.memorySwapMb : Math.max(w.memorySwapMaxMb, ev.memorySwapMb);
        w.memorySamples++;
        w.memoryTotalSumMb += ev.memoryTotalMb;
        w.memoryRssSumMb += ev.memoryRssMb;
        if (ts >= w.memoryLastMs) {
          w.memoryLastMs = ts;
          w.memoryTotalLastMb = ev.memoryTotalMb;
          w.memoryRssLastMb = ev.memoryRssMb;
          w.memorySwapLastMb = ev.memorySwapMb;
          w.memoryQuotaMb = ev.memoryQuotaMb;
        }
      } else {
        w.load1mMax = w.loadSamples === 0 ? ev.load1m : Math.max(w.load1mMax, ev.load1m);
        w.loadSamples++;
        w.load1mSum += ev.load1m;
        if (ts >= w.loadLastMs) {
          w.loadLastMs = ts;
          w.load1mLast = ev.load1m;
        }
      }
    }
  }
  return { windows, counts, watermarkMs: wm };
}

describe('PlatformAggregator against an oracle', () => {
  it.each([1, 2, 3])('seed %i: merged deltas of random drains equal the oracle', (seed) => {
    const input = stream(seed, 3000);
    const agg = aggregator();
    const rnd = seededRandom(seed * 7919);
    const deltas: DynoWindowDelta[] = [];
    const counts = { records: 0, overflowed: 0, ignored: 0, late: 0, rejected: 0 };
    let watermarkMs = 0;
    const drain = () => {
      const d = agg.drain();
      deltas.push(...d.deltas);
      for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += d[k];
      watermarkMs = d.watermarkMs;
    };
    for (const { app, ev } of input) {
      agg.record(app, ev);
      if (rnd() < 0.02) drain();
    }
    drain();
    const want = oracle(input);
    expect(counts).toEqual(want.counts);
    expect(counts.late).toBeGreaterThan(0);
    expect(counts.overflowed).toBeGreaterThan(0);
    expect(watermarkMs).toBe(want.watermarkMs);
    expectSameDynoWindows(combine(deltas), want.windows);
  });
});

describe('PlatformAggregator', () => {
  it('drains short windows and their roll-up, per app and dyno, with the process type', () => {
    const agg = aggregator();
    agg.record('a', memory('web.1', T0 + 1000, 200));
    agg.record('a', memory('web.1', T0 + 15_000, 300));
    agg.record('a', dynoError('web.1', T0 + 16_000, 'R14'));
    agg.record('a', load('worker.2', T0 + 2000, 1.5));
    const d = agg.drain();
    expect(d).toMatchObject({
      records: 4,
      ignored: 0,
      late: 0,
      rejected: 0,
      overflowed: 0,
      watermarkMs: T0 + 16_000,
    });
    expect(
      d.deltas.map((x) => [x.resolutionSeconds, x.windowStart - T0 / 1000, x.processType, x.dyno]),
    ).toEqual([
      [10, 0, 'web', 'web.1'],
      [10, 10, 'web', 'web.1'],
      [60, 0, 'web', 'web.1'],
      [10, 0, 'worker', 'worker.2'],
      [60, 0, 'worker', 'worker.2'],
    ]);
    expect(d.deltas[2]).toMatchObject({
      memorySamples: 2,
      memoryTotalMaxMb: 300,
      memoryTotalLastMb: 300,
      events: { R14: 1 },
    });
    expect(d.deltas[0]!.events).toEqual({}); // the roll-up did not write into the short window
    expect(agg.drain()).toMatchObject({ deltas: [], records: 0 });
  });

  it('restores the watermark: what the previous owner dropped as late is dropped again', () => {
    const agg = aggregator();
    agg.restoreWatermark(T0 + 600_000);
    agg.record('a', memory('web.1', T0 + 600_000 - LATENESS_S * 1000 - 1, 100));
    agg.record('a', memory('web.1', T0 + 600_000 - LATENESS_S * 1000, 100));
    expect(agg.drain()).toMatchObject({ late: 1, records: 1, watermarkMs: T0 + 600_000 });
    expect(aggregator({ watermarkMs: T0 }).watermarkMs).toBe(T0);
  });

  it('forgets dynos idle since an earlier roll-up generation', () => {
    const agg = aggregator();
    for (let i = 1; i <= 3; i++) agg.record('a', memory(`run.${i}`, T0 + 1000, 100));
    agg.drain();
    expect(agg.trackedDynos).toBe(3);
    agg.record('a', memory('web.1', T0 + 61_000, 100));
    agg.drain();
    agg.drain();
    expect(agg.trackedDynos).toBe(1);
  });

  it('refuses bad options naming the variable', () => {
    expect(() => aggregator({ dynoCapPerApp: 0 })).toThrow(/DYNO_CAP_PER_APP/);
    expect(() => aggregator({ rollupSeconds: 25 })).toThrow(/ROLLUP_SECONDS.*multiple/);
    expect(() => aggregator({ watermarkMs: -1 })).toThrow(expect.objectContaining({ code: 'RM_ERR_CONFIG' }));
  });
});
