import type { FlushBatch } from '../actors/flush-batch.js';
import { mergeSparseHistograms } from '../actors/sparse-histogram.js';
import type { RouteSample } from './protocol.js';

/**
 * Per-route numbers of one flush, for the capped per-route Prometheus series:
 * computed once per flush from the batch's deltas at its finest resolution
 * (never per record). Quantiles are read straight off the sparse HDR text
 * ("value:count,…", ascending), which is exact to HDR's precision.
 */
export function sampleRoutes(batch: FlushBatch, limit: number): RouteSample[] {
  if (limit <= 0 || batch.deltas.length === 0) return [];
  let finest = Number.POSITIVE_INFINITY;
  for (const d of batch.deltas) if (d.resolutionSeconds < finest) finest = d.resolutionSeconds;
  // Sum the counters first; histograms are merged only for the routes that make the cut.
  const byRoute = new Map<string, { sample: RouteSample; histograms: string[] }>();
  for (const d of batch.deltas) {
    if (d.resolutionSeconds !== finest) continue;
    const key = `${d.app}\u0000${d.route}`;
    // Router errors (H12, H10, …) are answered 503, so the 5xx class counts them too.
    const errors = d.statusClasses[4];
    const entry = byRoute.get(key);
    if (entry) {
      entry.sample.count += d.count;
      entry.sample.serviceSumMs += d.serviceSumMs;
      entry.sample.serviceCount += d.serviceCount;
      entry.sample.errors += errors;
      entry.sample.max = Math.max(entry.sample.max, d.serviceMaxMs);
      if (d.serviceHistogram !== '') entry.histograms.push(d.serviceHistogram);
    } else {
      byRoute.set(key, {
        sample: {
          app: d.app,
          route: d.route,
          count: d.count,
          serviceSumMs: d.serviceSumMs,
          serviceCount: d.serviceCount,
          errors,
          p50: 0,
          p95: 0,
          p99: 0,
          max: d.serviceMaxMs,
        },
        histograms: d.serviceHistogram === '' ? [] : [d.serviceHistogram],
      });
    }
  }
  const entries = [...byRoute.values()].sort((a, b) => b.sample.count - a.sample.count).slice(0, limit);
  return entries.map(({ sample, histograms }) => {
    const merged = histograms.length <= 1 ? (histograms[0] ?? '') : histograms.reduce(mergeSparseHistograms);
    const [p50, p95, p99] = sparseQuantiles(merged, [50, 95, 99]);
    return { ...sample, p50: p50!, p95: p95!, p99: p99! };
  });
}

/**
 * Quantiles (percent, ascending) of a sparse histogram: the lowest bucket value
 * at which the cumulative count reaches q% of the total (HDR's definition).
 */
export function sparseQuantiles(text: string, percents: number[]): number[] {
  const values: number[] = [];
  const counts: number[] = [];
  let total = 0;
  let i = 0;
  while (i < text.length) {
    let v = 0;
    let c = text.charCodeAt(i);
    while (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      c = text.charCodeAt(++i);
    }
    i++; // ':'
    let n = 0;
    c = text.charCodeAt(i);
    while (c >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      c = text.charCodeAt(++i);
    }
    i++; // ','
    values.push(v);
    counts.push(n);
    total += n;
  }
  return percents.map((q) => {
    if (total === 0) return 0;
    const target = Math.max(1, Math.ceil((q / 100) * total));
    let cum = 0;
    for (let k = 0; k < values.length; k++) {
      cum += counts[k]!;
      if (cum >= target) return values[k]!;
    }
    return values[values.length - 1]!;
  });
}
