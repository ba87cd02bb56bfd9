import { describe, expect, it } from 'vitest';
import { type DynoWindowDelta, emptyDynoDelta, mergeDynoDelta } from '../../src/actors/dyno-flush-batch.js';
import { PlatformAggregator } from '../../src/actors/platform-aggregator.js';
import { createDynoFleet, type DynoLine } from '../../src/gen/dyno-fleet.js';
import { createLineGenerator } from '../../src/gen/line-generator.js';
import { buildLogplexBatch } from '../../src/gen/logplex-batch.js';
import { buildBatchRecords } from '../../src/ingest/batch-records.js';
import { scanFrames } from '../../src/logplex/logplex-framing.js';
import { createPlatformEvent, PlatformKind } from '../../src/logplex/platform-event.js';
import { parsePlatformEvent, parsePlatformLine } from '../../src/logplex/platform-line.js';

const T0 = Date.UTC(2026, 0, 1);
const APPS = [
  { host: 'quiet-reef-12345.herokuapp.com', dynos: 3 },
  { host: 'bold-leaf-54321.herokuapp.com', dynos: 5 },
];

function run(seed: number, minutes: number, stepMs = 7000): DynoLine[] {
  const fleet = createDynoFleet({ seed, apps: APPS, startMs: T0 });
  const lines: DynoLine[] = [];
  for (let t = T0; t <= T0 + minutes * 60_000; t += stepMs) {
    const due = fleet.due(t);
    if (due.some((l) => l.timestampMs > t)) throw new Error(`a line due after ${t}`);
    lines.push(...due);
  }
  return lines;
}

describe('createDynoFleet', () => {
  const lines = run(3, 180);
  const parsed = lines.map((l) => ({ ...l, ev: parsePlatformLine(l.line)! }));

  it('samples memory and load every 20 s per dyno, in the exact log-runtime-metrics format', () => {
    expect(createDynoFleet({ seed: 3, apps: APPS, startMs: T0 }).dynoCount).toBe(8);
    const FORMAT =
      /^<45>1 \S+ host heroku web\.\d - source=web\.\d dyno=heroku\.\d{7}\.[0-9a-f-]{36} sample#memory_total=\d+\.\d\dMB sample#memory_rss=\d+\.\d\dMB sample#memory_cache=\d+\.\d\dMB sample#memory_swap=\d+\.\d\dMB sample#memory_pgpgin=\d+pages sample#memory_pgpgout=\d+pages sample#memory_quota=(512|1024)\.00MB$/;
    const byDyno = new Map<string, number[]>();
    const wrong: string[] = [];
    for (const p of parsed) {
      if (p.ev === null || p.ev.timestampMs !== p.timestampMs || p.ev.dyno !== p.dyno) wrong.push(p.line);
      if (p.kind !== 'memory') continue;
      if (!FORMAT.test(p.line)) wrong.push(p.line);
      const k = `${p.app} ${p.dyno}`;
      const times = byDyno.get(k) ?? [];
      times.push(p.timestampMs);
      byDyno.set(k, times);
    }
    expect(wrong).toEqual([]);
    expect(byDyno.size).toBe(8);
    for (const times of byDyno.values()) {
      expect(times.length).toBeGreaterThanOrEqual(180 * 3 - 1);
      expect(new Set(times.slice(1).map((t, i) => t - times[i]!))).toEqual(new Set([20_000]));
    }
    const loads = parsed.filter((p) => p.kind === 'load');
    expect(loads.length).toBe(parsed.filter((p) => p.kind === 'memory').length);
    expect(loads.every((l) => l.ev.loadSeen && l.ev.kind === PlatformKind.Metrics)).toBe(true);
  });

  it('drifts memory towards the quota; R14 only after a sample over the quota; restarts bring it back', () => {
    const lastTotal = new Map<string, number>();
    let r14 = 0;
    let restarts = 0;
    const afterRestart: number[] = [];
    let restarted = new Set<string>();
    const bad: string[] = [];
    for (const p of parsed) {
      const k = `${p.app} ${p.dyno}`;
      if (p.kind === 'memory') {
        const { memoryTotalMb, memoryRssMb, memorySwapMb, memoryQuotaMb } = p.ev;
        if (Math.abs(memoryTotalMb - memoryRssMb - memorySwapMb) > 0.011 || memoryRssMb >= memoryQuotaMb) {
          bad.push(p.line);
        }
        if (restarted.has(k)) {
          afterRestart.push(memoryTotalMb / memoryQuotaMb);
          restarted.delete(k);
        }
        lastTotal.set(k, memoryTotalMb - memoryQuotaMb);
      } else if (p.ev.kind === PlatformKind.Error) {
        if (!(p.ev.code === 'R14' || p.ev.code === 'R15') || !((lastTotal.get(k) ?? 0) > 0)) bad.push(p.line);
        r14++;
      } else if (p.ev.kind === PlatformKind.StateChange && p.ev.stateTo === 'starting') {
        if (!p.line.endsWith('State changed from up to starting')) bad.push(p.line);
        restarts++;
        restarted = new Set([...restarted, k]);
      }
    }
    expect(bad).toEqual([]);
    expect(r14).toBeGreaterThan(0);
    expect(restarts).toBeGreaterThan(0);
    expect(afterRestart.length).toBeGreaterThan(0);
    for (const share of afterRestart) expect(share).toBeLessThan(0.7);
    // drift: every dyno starts well under its quota and later reaches it
    const shares = new Map<string, number[]>();
    for (const p of parsed) {
      if (p.kind !== 'memory') continue;
      const k = `${p.app} ${p.dyno}`;
      shares.set(k, [...(shares.get(k) ?? []), p.ev.memoryTotalMb / p.ev.memoryQuotaMb]);
    }
    for (const s of shares.values()) {
      expect(s[0]).toBeLessThan(0.6);
      expect(Math.max(...s)).toBeGreaterThan(1);
    }
  });

  it('is deterministic for a seed and returns each line once, in time order', () => {
    expect(run(3, 20, 6000).map((l) => l.line)).toEqual(run(3, 20, 4000).map((l) => l.line));
    const ts = run(4, 20).map((l) => l.timestampMs);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
    expect(run(4, 20).map((l) => l.line)).not.toEqual(run(3, 20).map((l) => l.line));
  });
});

describe('the line generator with dyno samples', () => {
  it('interleaves the fleet into the stream, leaving the router lines of the seed unchanged', () => {
    let now = T0;
    const clock = () => now;
    const plain = createLineGenerator({ seed: 9, apps: 5, clock, runtimeMetricsRate: 0 });
    const withDynos = createLineGenerator({ seed: 9, apps: 5, clock, dynoSamples: true });
    const a: string[] = [];
    const b: string[] = [];
    const platform: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      now = T0 + i * 40; // 200 s of traffic
      const p = plain();
      if (p.kind === 'router') a.push(p.line);
      for (;;) {
        const g = withDynos();
        if (g.kind === 'platform') {
          if (g.app === '') throw new Error(`a fleet line without its app: ${g.line}`);
          platform.push(g.line);
          continue;
        }
        if (g.kind === 'router') b.push(g.line);
        break;
      }
    }
    expect(b).toEqual(a);
    const dynos = withDynos.catalog.reduce((n, app) => n + app.dynos, 0);
    const memory = platform.filter((l) => l.includes('sample#memory_total=')).length;
    expect(memory).toBeGreaterThanOrEqual(dynos * 9);
    expect(memory).toBeLessThanOrEqual(dynos * 10);
    // in logplex batches they are platform records for the drain
    const batch = buildLogplexBatch(platform.slice(0, 50), 'd.00000000-0000-4000-8000-000000000000');
    const records = buildBatchRecords(batch.body, {
      drainToken: 'd.00000000-0000-4000-8000-000000000000',
      frameId: batch.frameId,
      receivedAtMs: T0,
      appOutput: 'drop',
      platformTopic: true,
    });
    expect(records).toMatchObject({ platformCount: 50, routerCount: 0 });
    expect(records.framing).toMatchObject({ frames: 50 });
  });
});

describe('the fleet through logplex frames, the platform parser and the platform aggregator', () => {
  it('every memory and load sample, R14 and restart the fleet wrote is counted in its dyno and window', () => {
    const fleet = createDynoFleet({ seed: 21, apps: APPS, startMs: T0 });
    const agg = new PlatformAggregator({
      windowSeconds: 10,
      rollupSeconds: 60,
      allowedLatenessSeconds: 3600,
      dynoCapPerApp: 100,
      clock: () => T0 + 86_400_000,
    });
    const want = new Map<
      string,
      { memory: number; load: number; R14: number; R15: number; restart: number }
    >();
    const ev = createPlatformEvent();
    const deltas: DynoWindowDelta[] = [];
    for (let t = T0; t <= T0 + 3_600_000; t += 5000) {
      const lines = fleet.due(t);
      if (lines.length === 0) continue;
      for (const l of lines) {
        const k = `${l.app}|${l.dyno}|${Math.floor(l.timestampMs / 10_000) * 10}`;
        const w = want.get(k) ?? { memory: 0, load: 0, R14: 0, R15: 0, restart: 0 };
        want.set(k, w);
        if (l.kind === 'memory') w.memory++;
        else if (l.kind === 'load') w.load++;
        else if (l.line.endsWith('Error R14 (Memory quota exceeded)')) w.R14++;
        else if (l.line.endsWith('Error R15 (Memory quota vastly exceeded)')) w.R15++;
        else if (l.line.endsWith('State changed from up to starting')) w.restart++;
      }
      // one drain request per app, as Heroku sends them: the app is the drain's
      for (const app of APPS) {
        const mine = lines.filter((l) => l.app === app.host).map((l) => l.line);
        if (mine.length === 0) continue;
        const body = buildLogplexBatch(mine, 'd.00000000-0000-4000-8000-000000000001').body;
        scanFrames(body, (start, end) => {
          expect(parsePlatformEvent(body, start, end, ev)).toBe(true);
          agg.record(app.host, ev);
        });
      }
      if (t % 60_000 === 0) deltas.push(...agg.drain().deltas);
    }
    const last = agg.drain();
    deltas.push(...last.deltas);
    expect(last.late + last.rejected).toBe(0);
    const got = new Map<string, DynoWindowDelta>();
    for (const d of deltas) {
      if (d.resolutionSeconds !== 10) continue;
      const k = `${d.app}|${d.dyno}|${d.windowStart}`;
      got.set(
        k,
        mergeDynoDelta(got.get(k) ?? emptyDynoDelta(10, d.windowStart, d.app, d.processType, d.dyno), d),
      );
    }
    let r14 = 0;
    let restarts = 0;
    const expected: unknown[] = [];
    const actual: unknown[] = [];
    for (const [k, w] of want) {
      r14 += w.R14;
      restarts += w.restart;
      if (w.memory + w.load + w.R14 + w.R15 + w.restart === 0) continue; // lifecycle lines only
      const g = got.get(k);
      const events = (e: Record<string, number>) => [e.R14 ?? 0, e.R15 ?? 0, e.restart ?? 0];
      expected.push([k, w.memory, w.load, 'web', ...events(w), w.memory > 0]);
      actual.push(
        g === undefined
          ? [k]
          : [
              k,
              g.memorySamples,
              g.loadSamples,
              g.processType,
              ...events(g.events),
              [512, 1024].includes(g.memoryQuotaMb),
            ],
      );
    }
    expect(actual).toEqual(expected);
    expect(r14).toBeGreaterThan(0);
    expect(restarts).toBeGreaterThan(0);
  });
});
