import { describe, expect, it } from 'vitest';
import { createDynoFleet, type DynoLine } from '../../src/gen/dyno-fleet.js';
import { createLineGenerator } from '../../src/gen/line-generator.js';
import { buildLogplexBatch } from '../../src/gen/logplex-batch.js';
import { buildBatchRecords } from '../../src/ingest/batch-records.js';
import { PlatformKind } from '../../src/logplex/platform-event.js';
import { parsePlatformLine } from '../../src/logplex/platform-line.js';

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
    for (const l of due) expect(l.timestampMs).toBeLessThanOrEqual(t);
    lines.push(...due);
  }
  return lines;
}

describe('createDynoFleet', () => {
  const lines = run(3, 180);
  const parsed = lines.map((l) => ({ ...l, ev: parsePlatformLine(l.line)! }));

  it('samples memory and load every 20 s per dyno, in the exact log-runtime-metrics format', () => {
    expect(createDynoFleet({ seed: 3, apps: APPS, startMs: T0 }).dynoCount).toBe(8);
    const byDyno = new Map<string, number[]>();
    for (const p of parsed) {
      expect(p.ev).not.toBeNull();
      expect(p.ev.timestampMs).toBe(p.timestampMs);
      expect(p.ev.dyno).toBe(p.dyno);
      if (p.kind !== 'memory') continue;
      expect(p.line).toMatch(
        /^<45>1 \S+ host heroku web\.\d - source=web\.\d dyno=heroku\.\d{7}\.[0-9a-f-]{36} sample#memory_total=\d+\.\d\dMB sample#memory_rss=\d+\.\d\dMB sample#memory_cache=\d+\.\d\dMB sample#memory_swap=\d+\.\d\dMB sample#memory_pgpgin=\d+pages sample#memory_pgpgout=\d+pages sample#memory_quota=(512|1024)\.00MB$/,
      );
      const k = `${p.app} ${p.dyno}`;
      byDyno.set(k, [...(byDyno.get(k) ?? []), p.timestampMs]);
    }
    expect(byDyno.size).toBe(8);
    for (const times of byDyno.values()) {
      expect(times.length).toBeGreaterThanOrEqual(180 * 3 - 1);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(20_000);
    }
    const loads = parsed.filter((p) => p.kind === 'load');
    expect(loads.length).toBe(parsed.filter((p) => p.kind === 'memory').length);
    for (const l of loads) expect(l.ev).toMatchObject({ loadSeen: true, kind: PlatformKind.Metrics });
  });

  it('drifts memory towards the quota; R14 only after a sample over the quota; restarts bring it back', () => {
    const lastTotal = new Map<string, number>();
    let r14 = 0;
    let restarts = 0;
    const afterRestart: number[] = [];
    let restarted = new Set<string>();
    for (const p of parsed) {
      const k = `${p.app} ${p.dyno}`;
      if (p.kind === 'memory') {
        const { memoryTotalMb, memoryRssMb, memorySwapMb, memoryQuotaMb } = p.ev;
        expect(Math.abs(memoryTotalMb - memoryRssMb - memorySwapMb)).toBeLessThanOrEqual(0.011);
        expect(memoryRssMb).toBeLessThan(memoryQuotaMb);
        if (restarted.has(k)) {
          afterRestart.push(memoryTotalMb / memoryQuotaMb);
          restarted.delete(k);
        }
        lastTotal.set(k, memoryTotalMb - memoryQuotaMb);
      } else if (p.ev.kind === PlatformKind.Error) {
        expect(p.ev.code === 'R14' || p.ev.code === 'R15').toBe(true);
        expect(lastTotal.get(k)).toBeGreaterThan(0);
        r14++;
      } else if (p.ev.kind === PlatformKind.StateChange && p.ev.stateTo === 'starting') {
        expect(p.line).toContain('State changed from up to starting');
        restarts++;
        restarted = new Set([...restarted, k]);
      }
    }
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
    for (let i = 0; i < 20_000; i++) {
      now = T0 + i * 10; // 200 s of traffic
      const p = plain();
      if (p.kind === 'router') a.push(p.line);
      for (;;) {
        const g = withDynos();
        if (g.kind === 'platform') {
          expect(g.app).not.toBe('');
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
