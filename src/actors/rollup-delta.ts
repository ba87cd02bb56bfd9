import type { WindowDelta } from './flush-batch.js';
import { type SparseHistogram, sumSparseHistograms } from './sparse-histogram.js';

/**
 * A roll-up window's delta as the sum of its short windows' deltas
 * (`shorts[from..to)`, one route, already drained). Equal to recording the same
 * records into one window and calling toDelta (counters summed, max of the maxes,
 * codes summed per code, histograms summed bucket by bucket), but it reads the
 * few non-empty buckets of the short deltas instead of adding whole HDR counts
 * arrays: measured on bench/support/consume-breakdown.ts, JsHistogram.add into a
 * scratch window (which also resizes it) was a third of the drain.
 *
 * A roll-up holding one short window is the same numbers: the caller reuses that
 * delta (and its arrays) instead.
 */
export function rollupDelta(
  shorts: readonly WindowDelta[],
  from: number,
  to: number,
  resolutionSeconds: number,
  windowStart: number,
): WindowDelta {
  const first = shorts[from]!;
  let count = 0;
  let serviceSumMs = 0;
  let serviceCount = 0;
  let serviceMaxMs = 0;
  let connectSumMs = 0;
  let connectCount = 0;
  let bytes = 0;
  const statusClasses: WindowDelta['statusClasses'] = [0, 0, 0, 0, 0, 0];
  const codes: Record<string, number> = {};
  const n = to - from;
  if (service.length < n) {
    service.length = n;
    connect.length = n;
    heads.length = n;
  }
  for (let k = from; k < to; k++) {
    const d = shorts[k]!;
    count += d.count;
    serviceSumMs += d.serviceSumMs;
    serviceCount += d.serviceCount;
    if (d.serviceMaxMs > serviceMaxMs) serviceMaxMs = d.serviceMaxMs;
    connectSumMs += d.connectSumMs;
    connectCount += d.connectCount;
    bytes += d.bytes;
    const c = d.statusClasses;
    for (let i = 0; i < 6; i++) statusClasses[i]! += c[i]!;
    for (const code in d.codes) codes[code] = (codes[code] ?? 0) + d.codes[code]!;
    service[k - from] = d.serviceHistogram;
    connect[k - from] = d.connectHistogram;
  }
  const delta: WindowDelta = {
    resolutionSeconds,
    windowStart,
    app: first.app,
    route: first.route,
    count,
    serviceSumMs,
    serviceCount,
    serviceMaxMs,
    connectSumMs,
    connectCount,
    bytes,
    statusClasses,
    codes,
    serviceHistogram: sumSparseHistograms(service, n, heads),
    connectHistogram: sumSparseHistograms(connect, n, heads),
  };
  // do not keep the drained deltas alive through the scratch
  for (let k = 0; k < n; k++) {
    service[k] = EMPTY;
    connect[k] = EMPTY;
  }
  return delta;
}

const EMPTY: SparseHistogram = [];
/** scratch shared by every call (synchronous, one thread) */
const service: SparseHistogram[] = [];
const connect: SparseHistogram[] = [];
const heads: number[] = [];
