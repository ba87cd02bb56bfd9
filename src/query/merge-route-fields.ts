import type { JsHistogram } from 'hdr-histogram-js';
import { createLatencyHistogram } from '../actors/latency-histogram.js';
import { OVERFLOW_ROUTE } from '../actors/partition-aggregator.js';
import { unpackCodes, unpackHistogramInto, unpackStats } from '../sinks/redis/packed-values.js';
import { FIELD, STATS, STATS_MAX_INDEX } from '../sinks/redis/redis-keys.js';
import { errorRate } from './error-rate.js';
import type { CodeCount, RouteStats } from './route-stats.js';

/**
 * Window hashes (as read with HGETALL, values as bytes) → one RouteStats per
 * route: counters summed, maxima maxed, histograms decoded and merged into one
 * HDR histogram per route for the quantiles.
 *
 * Pure and self-contained (plain data in, plain data out) so that it can run in
 * a worker pool (piscina) when a query merges many windows: decoding and merging
 * histograms is the CPU-heavy part of a read.
 */
export type WindowHash = Readonly<Record<string, Uint8Array>>;

export interface MergeOptions {
  app: string;
  /** the time span the hashes cover, for rpm */
  spanMs: number;
  /** only this route ("GET /users/:id"); all routes when absent */
  route?: string;
  /** merge every (selected) route into one entry with this name: the whole app's numbers */
  mergeAs?: string;
  /**
   * ROUTE_CAP_PER_APP: at most this many routes besides `OTHER /:overflow`; the least busy
   * beyond it are folded into that route. Each partition caps an app's routes on its own,
   * so an app spread over k partitions (DRAIN_HOT_APPS) could otherwise show up to k × cap
   * routes (docs/kafka-records.md, "Hot apps"). Absent = no cap.
   */
  routeCap?: number;
}

interface Accumulator {
  stats: number[];
  codes: Map<string, number>;
  service: JsHistogram | null;
  connect: JsHistogram | null;
}

export function mergeRouteFields(hashes: readonly WindowHash[], options: MergeOptions): RouteStats[] {
  const routes = new Map<string, Accumulator>();
  for (const hash of hashes) {
    for (const field in hash) {
      const bar = field.lastIndexOf('|');
      if (bar <= 0) continue;
      const fieldRoute = field.slice(0, bar);
      if (options.route !== undefined && fieldRoute !== options.route) continue;
      const route = options.mergeAs ?? fieldRoute;
      const suffix = field.slice(bar + 1);
      let acc = routes.get(route);
      if (acc === undefined) {
        acc = {
          stats: new Array<number>(STATS.length).fill(0),
          codes: new Map(),
          service: null,
          connect: null,
        };
        routes.set(route, acc);
      }
      const value = hash[field]!;
      switch (suffix) {
        case FIELD.stats: {
          const s = unpackStats(value);
          for (let i = 0; i < acc.stats.length; i++) {
            acc.stats[i] = i === STATS_MAX_INDEX ? Math.max(acc.stats[i]!, s[i]!) : acc.stats[i]! + s[i]!;
          }
          break;
        }
        case FIELD.codes:
          for (const [code, n] of Object.entries(unpackCodes(value)))
            acc.codes.set(code, (acc.codes.get(code) ?? 0) + n);
          break;
        case FIELD.serviceHistogram:
          acc.service ??= createLatencyHistogram();
          unpackHistogramInto(value, acc.service);
          break;
        case FIELD.connectHistogram:
          acc.connect ??= createLatencyHistogram();
          unpackHistogramInto(value, acc.connect);
          break;
        default:
        // a field from a newer writer: ignore it rather than fail the query
      }
    }
  }
  if (options.routeCap !== undefined && options.mergeAs === undefined && options.route === undefined)
    foldBeyondCap(routes, options.routeCap);
  const minutes = Math.max(options.spanMs, 1) / 60_000;
  const out: RouteStats[] = [];
  for (const [route, acc] of routes) {
    const [count, serviceSum, serviceCount, serviceMax, connectSum, connectCount, bytes, ...classes] =
      acc.stats as [number, number, number, number, number, number, number, ...number[]];
    if (count === 0) continue;
    const space = route.indexOf(' ');
    const maxMs = serviceCount > 0 ? serviceMax : null;
    const quantile = (p: number) =>
      acc.service === null || acc.service.totalCount === 0 || maxMs === null
        ? null
        : Math.min(acc.service.getValueAtPercentile(p), maxMs);
    const errorStatuses: CodeCount[] = [];
    const routerCodes: CodeCount[] = [];
    for (const [code, n] of acc.codes)
      (/^\d/.test(code) ? errorStatuses : routerCodes).push({ code, count: n });
    const byCount = (a: CodeCount, b: CodeCount) => b.count - a.count || a.code.localeCompare(b.code);
    out.push({
      app: options.app,
      route,
      method: space > 0 ? route.slice(0, space) : '',
      path: space > 0 ? route.slice(space + 1) : route,
      count,
      rpm: count / minutes,
      avgMs: serviceCount > 0 ? serviceSum / serviceCount : null,
      p50Ms: quantile(50),
      p95Ms: quantile(95),
      p99Ms: quantile(99),
      maxMs,
      connectAvgMs: connectCount > 0 ? connectSum / connectCount : null,
      connectP95Ms:
        acc.connect === null || acc.connect.totalCount === 0 ? null : acc.connect.getValueAtPercentile(95),
      bytes,
      statusClasses: {
        '1xx': classes[0]!,
        '2xx': classes[1]!,
        '3xx': classes[2]!,
        '4xx': classes[3]!,
        '5xx': classes[4]!,
        other: classes[5]!,
      },
      errorRate: errorRate({ '5xx': classes[4]! }, count),
      errorStatuses: errorStatuses.sort(byCount),
      routerCodes: routerCodes.sort(byCount),
    });
  }
  return out.sort((a, b) => b.count - a.count || a.route.localeCompare(b.route));
}

/**
 * Keeps the `cap` busiest routes (by count, then by name: the same routes for the same
 * data) and merges the others into OVERFLOW_ROUTE: counts, sums, codes and histograms
 * add up, the maximum is the maximum, so the app's totals do not change.
 */
function foldBeyondCap(routes: Map<string, Accumulator>, cap: number): void {
  const named = [...routes].filter(([route, acc]) => route !== OVERFLOW_ROUTE && acc.stats[0]! > 0);
  if (named.length <= cap) return;
  named.sort(([ra, a], [rb, b]) => b.stats[0]! - a.stats[0]! || (ra < rb ? -1 : ra > rb ? 1 : 0));
  let into = routes.get(OVERFLOW_ROUTE);
  if (into === undefined) {
    into = { stats: new Array<number>(STATS.length).fill(0), codes: new Map(), service: null, connect: null };
    routes.set(OVERFLOW_ROUTE, into);
  }
  for (let i = cap; i < named.length; i++) {
    const [route, acc] = named[i]!;
    for (let j = 0; j < into.stats.length; j++) {
      into.stats[j] =
        j === STATS_MAX_INDEX ? Math.max(into.stats[j]!, acc.stats[j]!) : into.stats[j]! + acc.stats[j]!;
    }
    for (const [code, n] of acc.codes) into.codes.set(code, (into.codes.get(code) ?? 0) + n);
    if (acc.service !== null) {
      into.service ??= createLatencyHistogram();
      into.service.add(acc.service);
    }
    if (acc.connect !== null) {
      into.connect ??= createLatencyHistogram();
      into.connect.add(acc.connect);
    }
    routes.delete(route);
  }
}
