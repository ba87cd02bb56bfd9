import type { JsHistogram } from 'hdr-histogram-js';
import { createLatencyHistogram, MAX_RECORDED_MS } from '../actors/latency-histogram.js';
import { DEFAULT_THRESHOLDS, decideVerdict, type Verdict, type VerdictThresholds } from './route-verdict.js';
import { Reservoir } from './significance.js';

/**
 * Per route (app, method, route template as the runtime makes it): what production
 * saw for the replayed requests (from their router lines) next to what staging
 * answered. Only requests that were actually sent are counted on either side, so
 * both columns describe the same requests.
 */
export type OutcomeClass = '2xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'error';
export const OUTCOME_CLASSES: readonly OutcomeClass[] = ['2xx', '3xx', '4xx', '5xx', 'timeout', 'error'];

/** What staging did with one request. */
export type ReplayOutcome =
  | { kind: 'response'; status: number; latencyMs: number }
  | { kind: 'timeout'; latencyMs: number }
  | { kind: 'error'; latencyMs: number; code: string };

export function outcomeClass(outcome: ReplayOutcome): OutcomeClass {
  if (outcome.kind !== 'response') return outcome.kind;
  return statusClass(outcome.status);
}

export function statusClass(status: number): OutcomeClass {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  return '2xx';
}

/** 5xx, no answer in time, or no answer at all: what the automatic stop and the error rate count. */
export function isFailure(outcome: ReplayOutcome): boolean {
  return outcome.kind !== 'response' || outcome.status >= 500;
}

export interface SideStats {
  count: number;
  classes: Record<OutcomeClass, number>;
  errorRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface RouteRow {
  app: string;
  route: string;
  original: SideStats;
  replayed: SideStats;
  verdict: Verdict;
  pMoreErrors: number;
  pFewerErrors: number;
  pSlower: number;
}

class Side {
  count = 0;
  errors = 0;
  readonly classes: Record<OutcomeClass, number> = {
    '2xx': 0,
    '3xx': 0,
    '4xx': 0,
    '5xx': 0,
    timeout: 0,
    error: 0,
  };
  readonly histogram: JsHistogram = createLatencyHistogram();
  readonly sample: Reservoir;

  constructor(seed: number) {
    this.sample = new Reservoir(2000, seed);
  }

  add(cls: OutcomeClass, failure: boolean, latencyMs: number | null): void {
    this.count++;
    this.classes[cls]++;
    if (failure) this.errors++;
    if (latencyMs !== null && latencyMs >= 0) {
      const v = Math.min(MAX_RECORDED_MS, Math.round(latencyMs));
      this.histogram.recordValue(v);
      this.sample.add(v);
    }
  }

  stats(): SideStats {
    const h = this.histogram;
    const has = h.totalCount > 0;
    return {
      count: this.count,
      classes: { ...this.classes },
      errorRate: this.count > 0 ? this.errors / this.count : 0,
      p50Ms: has ? h.getValueAtPercentile(50) : 0,
      p95Ms: has ? h.getValueAtPercentile(95) : 0,
      p99Ms: has ? h.getValueAtPercentile(99) : 0,
    };
  }
}

interface RouteEntry {
  app: string;
  route: string;
  original: Side;
  replayed: Side;
}

/** Routes beyond the cap share one row, as the runtime's ROUTE_CAP_PER_APP does. */
export const OVERFLOW_ROUTE = 'OTHER /:overflow';

export class DivergenceReport {
  private readonly routes = new Map<string, RouteEntry>();

  constructor(
    private readonly thresholds: VerdictThresholds = DEFAULT_THRESHOLDS,
    private readonly maxRoutes = 2000,
  ) {}

  /** `route` is `METHOD /template`; `originalServiceMs` is -1 when the router line had none. */
  add(
    app: string,
    route: string,
    originalStatus: number,
    originalServiceMs: number,
    outcome: ReplayOutcome,
  ): void {
    const entry = this.entry(app, route);
    const oCls = statusClass(originalStatus);
    entry.original.add(oCls, originalStatus >= 500, originalServiceMs >= 0 ? originalServiceMs : null);
    entry.replayed.add(
      outcomeClass(outcome),
      isFailure(outcome),
      outcome.kind === 'response' ? outcome.latencyMs : null,
    );
  }

  get size(): number {
    return this.routes.size;
  }

  rows(): RouteRow[] {
    const out: RouteRow[] = [];
    for (const e of this.routes.values()) {
      const o = e.original.stats();
      const r = e.replayed.stats();
      const v = decideVerdict(
        {
          count: o.count,
          errors: e.original.errors,
          p50Ms: o.p50Ms,
          p95Ms: o.p95Ms,
          latencySample: e.original.sample.values,
        },
        {
          count: r.count,
          errors: e.replayed.errors,
          p50Ms: r.p50Ms,
          p95Ms: r.p95Ms,
          latencySample: e.replayed.sample.values,
        },
        this.thresholds,
      );
      out.push({ app: e.app, route: e.route, original: o, replayed: r, ...v });
    }
    return out.sort(
      (a, b) => b.replayed.count - a.replayed.count || (a.app + a.route).localeCompare(b.app + b.route),
    );
  }

  private entry(app: string, route: string): RouteEntry {
    const key = `${app} ${route}`;
    let e = this.routes.get(key);
    if (e) return e;
    if (this.routes.size >= this.maxRoutes && route !== OVERFLOW_ROUTE)
      return this.entry('*', OVERFLOW_ROUTE);
    const seed = this.routes.size + 1;
    e = { app, route, original: new Side(seed * 2), replayed: new Side(seed * 2 + 1) };
    this.routes.set(key, e);
    return e;
  }
}
