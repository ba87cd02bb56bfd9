import type { FlushBatch } from '../actors/flush-batch.js';
import { addToFixedBuckets } from '../actors/sparse-histogram.js';
import type { RouteSample } from './protocol.js';

/**
 * Upper bounds (ms) of the per-route latency histogram exported to Prometheus:
 * web latency from 1 ms to 30 s (Heroku's router gives up at 30 s: H12), plus
 * +Inf. Fixed, so that every process exports the same `le` values and
 * `histogram_quantile(0.99, sum by (le, app, route) (rate(..._bucket[5m])))`
 * aggregates across the fleet.
 */
export const ROUTE_LATENCY_BUCKETS_MS = [
  1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000,
] as const;

/**
 * The `status` label of `routemeter_route_requests_total`, in WindowDelta's
 * statusClasses order. Router errors (H12, H10, …) are answered 503: they are 5xx.
 */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;

/** The route label of the per-app series that sums every route not exported on its own. */
export const OTHER_ROUTE = '__other__';

/**
 * Per-route numbers of one flush, for the per-route Prometheus series: computed
 * once per flush from the batch's deltas at its finest resolution (the roll-up
 * holds the same records again), never per record. The `limit` busiest routes
 * of the flush come back on their own; every other route is summed into one
 * `__other__` sample per app, so the counts always add up to the batch.
 *
 * Latency buckets are read straight off the numeric HDR deltas (no merge, no
 * parsing): `buckets[k]` counts service times ≤ ROUTE_LATENCY_BUCKETS_MS[k] and
 * above the previous bound; the last slot is +Inf. Not cumulative.
 */
export function sampleRoutes(batch: FlushBatch, limit: number): RouteSample[] {
  if (batch.deltas.length === 0) return [];
  let finest = Number.POSITIVE_INFINITY;
  for (const d of batch.deltas) if (d.resolutionSeconds < finest) finest = d.resolutionSeconds;
  // app → route → sample: nested maps of the deltas' own strings, no key built per delta
  const byApp = new Map<string, Map<string, RouteSample>>();
  const all: RouteSample[] = [];
  let lastApp = '';
  let routes: Map<string, RouteSample> | undefined;
  for (const d of batch.deltas) {
    if (d.resolutionSeconds !== finest) continue;
    if (routes === undefined || d.app !== lastApp) {
      lastApp = d.app;
      routes = byApp.get(d.app);
      if (routes === undefined) {
        routes = new Map();
        byApp.set(d.app, routes);
      }
    }
    let sample = routes.get(d.route);
    if (!sample) {
      sample = emptySample(d.app, d.route);
      routes.set(d.route, sample);
      all.push(sample);
    }
    sample.count += d.count;
    sample.serviceSumMs += d.serviceSumMs;
    sample.serviceCount += d.serviceCount;
    for (let k = 0; k < STATUS_CLASSES.length; k++) sample.statusClasses[k]! += d.statusClasses[k]!;
    addToFixedBuckets(d.serviceHistogram, ROUTE_LATENCY_BUCKETS_MS, sample.buckets);
  }
  if (all.length <= limit) return all;
  all.sort((a, b) => b.count - a.count);
  const kept = all.slice(0, Math.max(0, limit));
  const others = new Map<string, RouteSample>();
  for (let i = kept.length; i < all.length; i++) {
    const s = all[i]!;
    let other = others.get(s.app);
    if (!other) {
      other = emptySample(s.app, OTHER_ROUTE);
      others.set(s.app, other);
    }
    addSample(other, s);
  }
  return [...kept, ...others.values()];
}

export function emptySample(app: string, route: string): RouteSample {
  return {
    app,
    route,
    count: 0,
    serviceSumMs: 0,
    serviceCount: 0,
    statusClasses: new Array<number>(STATUS_CLASSES.length).fill(0),
    buckets: new Array<number>(ROUTE_LATENCY_BUCKETS_MS.length + 1).fill(0),
  };
}

/** target += s (counts and buckets; names are left as they are) */
export function addSample(target: RouteSample, s: RouteSample): void {
  target.count += s.count;
  target.serviceSumMs += s.serviceSumMs;
  target.serviceCount += s.serviceCount;
  for (let k = 0; k < target.statusClasses.length; k++) target.statusClasses[k]! += s.statusClasses[k] ?? 0;
  for (let k = 0; k < target.buckets.length; k++) target.buckets[k]! += s.buckets[k] ?? 0;
}
