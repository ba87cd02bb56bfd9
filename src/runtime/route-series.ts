import type { RouteSample } from './protocol.js';
import { addSample, emptySample, OTHER_ROUTE } from './route-samples.js';

/**
 * Which (app, route) pairs get Prometheus series of their own: the `limit`
 * busiest, chosen again every `evaluateMs` from the traffic since the last
 * choice. Everything else adds to one `route="__other__"` series per app (at
 * most `limit` apps; further apps share `app="__other__"`), so the label set
 * stays bounded while the counts always add up.
 *
 * Counters must only go up. A route that loses its place stops being exported
 * (its series goes stale, which `rate()` handles) and its later traffic lands
 * in its app's `__other__`; a route that gains a place starts a fresh series at
 * 0. Until `limit` routes are exported, a new route gets a series at once.
 *
 * Pure: no timers, the caller passes the clock (runtime-metrics.ts, per flush).
 */
export class RouteSeries {
  private readonly exported = new Map<string, RouteSample>();
  private readonly others = new Map<string, RouteSample>();
  /** traffic per route since the last evaluation: exported routes and candidates */
  private scores = new Map<string, { app: string; route: string; count: number }>();
  private lastEvaluationMs: number;

  constructor(
    private readonly limit: number,
    private readonly evaluateMs: number,
    nowMs: number,
  ) {
    this.lastEvaluationMs = nowMs;
  }

  add(sample: RouteSample, nowMs: number): void {
    if (nowMs - this.lastEvaluationMs >= this.evaluateMs) this.evaluate(nowMs);
    if (sample.route === OTHER_ROUTE) {
      addSample(this.other(sample.app), sample);
      return;
    }
    const key = `${sample.app}\u0000${sample.route}`;
    const score = this.scores.get(key);
    if (score) score.count += sample.count;
    // Candidates are bounded too: a path explosion cannot grow this map without limit.
    else if (this.exported.has(key) || this.scores.size < 4 * this.limit)
      this.scores.set(key, { app: sample.app, route: sample.route, count: sample.count });
    let series = this.exported.get(key);
    if (!series && this.exported.size < this.limit) {
      series = emptySample(sample.app, sample.route);
      this.exported.set(key, series);
    }
    addSample(series ?? this.other(sample.app), sample);
  }

  /** Re-chooses the exported routes by traffic since the last evaluation (ties keep the current ones). */
  evaluate(nowMs: number): void {
    this.lastEvaluationMs = nowMs;
    const ranked = [...this.scores].sort(
      ([ka, a], [kb, b]) =>
        b.count - a.count || Number(this.exported.has(kb)) - Number(this.exported.has(ka)),
    );
    const keep = new Set(ranked.slice(0, this.limit).map(([k]) => k));
    // Routes with no traffic at all since the last evaluation are not in `scores`: they go too.
    for (const key of [...this.exported.keys()]) if (!keep.has(key)) this.exported.delete(key);
    for (const [key, s] of ranked.slice(0, this.limit)) {
      if (!this.exported.has(key)) this.exported.set(key, emptySample(s.app, s.route));
    }
    this.scores = new Map();
  }

  /** Every series to export: the chosen routes, then each app's `__other__`. */
  *series(): Iterable<RouteSample> {
    yield* this.exported.values();
    yield* this.others.values();
  }

  private other(app: string): RouteSample {
    let other = this.others.get(app);
    if (other) return other;
    const label = this.others.size < this.limit ? app : OTHER_ROUTE;
    other = this.others.get(label);
    if (!other) {
      other = emptySample(label, OTHER_ROUTE);
      this.others.set(label, other);
    }
    return other;
  }
}
