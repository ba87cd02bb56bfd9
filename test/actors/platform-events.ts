import { expect } from 'vitest';
import type { DynoWindowDelta } from '../../src/actors/dyno-flush-batch.js';
import { createPlatformEvent, type PlatformEvent, PlatformKind } from '../../src/logplex/platform-event.js';
import { seededRandom } from './router-events.js';

/** Test fixtures: platform events as the parser would fill them (not a test file itself). */
export function memory(
  dyno: string,
  timestampMs: number,
  totalMb: number,
  extra: Partial<PlatformEvent> = {},
) {
  return platformEvent({
    kind: PlatformKind.Metrics,
    dyno,
    timestampMs,
    memorySeen: true,
    memoryTotalMb: totalMb,
    memoryRssMb: totalMb - 10,
    memorySwapMb: 0,
    memoryCacheMb: 10,
    memoryQuotaMb: 512,
    ...extra,
  });
}

export function load(dyno: string, timestampMs: number, load1m: number): PlatformEvent {
  return platformEvent({ kind: PlatformKind.Metrics, dyno, timestampMs, loadSeen: true, load1m });
}

export function dynoError(dyno: string, timestampMs: number, code: string): PlatformEvent {
  return platformEvent({ kind: PlatformKind.Error, dyno, timestampMs, code });
}

export function stateChange(dyno: string, timestampMs: number, from: string, to: string): PlatformEvent {
  return platformEvent({ kind: PlatformKind.StateChange, dyno, timestampMs, stateFrom: from, stateTo: to });
}

export function platformEvent(fields: Partial<PlatformEvent>): PlatformEvent {
  const dyno = fields.dyno ?? 'web.1';
  const dot = dyno.lastIndexOf('.');
  return {
    ...createPlatformEvent(),
    processType: dot > 0 ? dyno.slice(0, dot) : dyno,
    ...fields,
    dyno,
  };
}

/** One record of a platform partition as the runtime hands it to the aggregator. */
export interface PlatformInput {
  app: string;
  ev: PlatformEvent;
}

/**
 * A random stream for oracle tests: 3 apps (one unknown, ''), up to 7 dynos each,
 * time moving forward from `startMs` with jitter; ~3% late (older than the lateness),
 * ~2% rejected (0 or an hour past `nowMs`), ~7% ignored (state up, other lines).
 */
export function randomPlatformStream(
  seed: number,
  n: number,
  o: { startMs: number; nowMs: number; latenessSeconds: number },
): PlatformInput[] {
  const rnd = seededRandom(seed);
  const out: PlatformInput[] = [];
  let t = o.startMs;
  for (let i = 0; i < n; i++) {
    t += Math.floor(rnd() * 1500);
    const app = ['a.example.com', 'b.example.com', ''][Math.floor(rnd() * 3)]!;
    const dyno = `${rnd() < 0.8 ? 'web' : 'worker'}.${1 + Math.floor(rnd() * 7)}`;
    let ts = t - Math.floor(rnd() * 20_000);
    const r = rnd();
    if (r < 0.03)
      ts = t - o.latenessSeconds * 1000 - 5000 - Math.floor(rnd() * 100_000); // late
    else if (r < 0.05) ts = rnd() < 0.5 ? 0 : o.nowMs + 3_600_000; // rejected
    const k = rnd();
    let ev: PlatformEvent;
    if (k < 0.4)
      ev = memory(dyno, ts, 100 + Math.floor(rnd() * 50_000) / 100, { memorySwapMb: Math.floor(rnd() * 4) });
    else if (k < 0.75) ev = load(dyno, ts, Math.floor(rnd() * 400) / 100);
    else if (k < 0.85) ev = dynoError(dyno, ts, rnd() < 0.8 ? 'R14' : 'R15');
    else if (k < 0.9) ev = stateChange(dyno, ts, 'up', 'starting');
    else if (k < 0.93) ev = stateChange(dyno, ts, 'starting', 'crashed');
    else if (k < 0.96)
      ev = stateChange(dyno, ts, 'starting', 'up'); // ignored
    else ev = platformEvent({ kind: PlatformKind.Other, dyno, timestampMs: ts }); // ignored
    out.push({ app, ev });
  }
  return out;
}

/** `(resolution, windowStart, app, dyno)`: one window of one dyno */
export const dynoWindowKeyOf = (d: {
  resolutionSeconds: number;
  windowStart: number;
  app: string;
  dyno: string;
}) => `${d.resolutionSeconds}|${d.windowStart}|${d.app}|${d.dyno}`;

/**
 * Asserts that two sets of dyno windows (by dynoWindowKeyOf) are equal: every field
 * exactly, except the float sums (added in another order), which may differ by 1e-6.
 */
export function expectSameDynoWindows(
  got: ReadonlyMap<string, DynoWindowDelta>,
  want: ReadonlyMap<string, DynoWindowDelta>,
): void {
  const keys = [...want.keys()].sort();
  expect([...got.keys()].sort()).toEqual(keys);
  const withoutSums = (d: DynoWindowDelta) => {
    const { memoryTotalSumMb, memoryRssSumMb, load1mSum, ...rest } = d;
    return rest;
  };
  expect(keys.map((k) => withoutSums(got.get(k)!))).toEqual(keys.map((k) => withoutSums(want.get(k)!)));
  const sumsOff = keys.filter((k) => {
    const g = got.get(k)!;
    const w = want.get(k)!;
    return (
      Math.abs(g.memoryTotalSumMb - w.memoryTotalSumMb) > 1e-6 ||
      Math.abs(g.memoryRssSumMb - w.memoryRssSumMb) > 1e-6 ||
      Math.abs(g.load1mSum - w.load1mSum) > 1e-6
    );
  });
  expect(sumsOff).toEqual([]);
}
