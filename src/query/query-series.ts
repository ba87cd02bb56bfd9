import type { RedisClient } from '../sinks/redis/redis-client.js';
import { mergeRouteFields, type WindowHash } from './merge-route-fields.js';
import { type MergeFn, type RouteQuery, type RouteWindows, readRouteWindows } from './query-routes.js';
import type { RouteStats } from './route-stats.js';
import { round4, stepHeader, stepLayout, stepOf } from './series-steps.js';
import type { StepCache } from './step-cache.js';

export { formatStep } from './series-steps.js';

/**
 * Time series of one app (or one route of it) at a step, in the shape Heroku's
 * metrics API answers with:
 *
 *   {"start_time":"2026-12-01T04:00:00.000Z","end_time":"2026-12-01T05:00:00.000Z","step":"1m",
 *    "data":{"rpm.2xx":[120,118,null,…],"p99_ms":[230,212,null,…],…}}
 *
 * A step is folded up from the stored windows it contains (10-s windows or 60-s
 * roll-ups, see docs/windows.md) by merging them: counters are added and HDR
 * histograms are merged bucket by bucket before a quantile is read, so a 1-hour
 * p99 is the p99 of that hour's requests, never an average of percentiles. A step
 * with no stored window is `null` (no data), as in Heroku's API.
 */
export const SERIES_GROUPS = ['throughput', 'latency', 'errors', 'codes'] as const;
export type SeriesGroup = (typeof SERIES_GROUPS)[number];

/** Status classes of the throughput series (`rpm.<class>`, requests per minute). */
const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export interface SeriesQuery extends RouteQuery {
  /** step in seconds: a multiple of the read resolution */
  stepSeconds: number;
  /** one route ("GET /users/:id"); the whole app merged when absent */
  route?: string;
  groups?: readonly SeriesGroup[];
  /** the most frequent router codes get a series each (default 8) */
  codesLimit?: number;
  /** keeps steps that end before `finalBeforeMs` between calls (see StepCache) */
  stepCache?: StepCache;
  finalBeforeMs?: number;
}

export interface SeriesResult {
  start_time: string;
  end_time: string;
  /** "10s", "1m", "1h" */
  step: string;
  step_seconds: number;
  /** the stored resolution the steps were folded from */
  resolution_seconds: number;
  route: string | null;
  data: Record<string, Array<number | null>>;
}

/** The whole app's routes merge into one entry of this name. */
const ALL = '*';

export async function querySeries(
  redis: RedisClient,
  prefix: string,
  query: SeriesQuery,
  merge: MergeFn = mergeRouteFields,
): Promise<SeriesResult> {
  const { startMs, stepMs } = stepLayout(query.fromMs, query.toMs, query.stepSeconds);
  // Only the steps not already folded and final are read from Redis.
  // Cached steps are taken once, here: the fold must not consult the cache again (an entry
  // expiring in between would leave a step that was not read).
  const known = new Map<number, RouteStats | null>();
  let readFromMs = startMs;
  if (query.stepCache && query.finalBeforeMs !== undefined) {
    while (readFromMs + stepMs <= Math.min(query.finalBeforeMs, query.toMs)) {
      const hit = query.stepCache.get(stepKey(query, readFromMs));
      if (hit === undefined) break;
      known.set(readFromMs, hit);
      readFromMs += stepMs;
    }
  }
  const windows =
    readFromMs < query.toMs
      ? await readRouteWindows(redis, prefix, { ...query, fromMs: readFromMs })
      : emptyWindows(query);
  return foldSeries(windows, { ...query, startMs, knownSteps: known }, merge);
}

function stepKey(query: SeriesQuery, stepStartMs: number): string {
  return `${query.app}\n${query.route ?? ''}\n${query.resolution ?? ''}\n${query.stepSeconds}\n${stepStartMs}`;
}

function emptyWindows(query: SeriesQuery): RouteWindows {
  return {
    app: query.app,
    resolutionSeconds: query.resolution ?? 0,
    fromMs: query.toMs,
    toMs: query.toMs,
    spanMs: 0,
    coveredMs: 0,
    windowStarts: [],
    hashes: [],
    hashStarts: [],
  };
}

/** Groups the windows into steps and merges each step (pure apart from `merge`). */
export async function foldSeries(
  windows: RouteWindows,
  query: SeriesQuery & { startMs: number; knownSteps?: ReadonlyMap<number, RouteStats | null> },
  merge: MergeFn = mergeRouteFields,
): Promise<SeriesResult> {
  const { toMs } = query;
  const layout = stepLayout(query.startMs, toMs, query.stepSeconds);
  const { startMs, stepMs, steps } = layout;
  const buckets: WindowHash[][] = Array.from({ length: steps }, () => []);
  // hashes are per (partition, window): several may share a start
  windows.hashStarts.forEach((start, i) => {
    const b = stepOf(layout, start);
    if (b >= 0) buckets[b]!.push(windows.hashes[i]!);
  });
  const cache = query.stepCache;
  const finalBefore = query.finalBeforeMs ?? Number.NEGATIVE_INFINITY;
  const merged: Array<RouteStats | null> = await Promise.all(
    buckets.map(async (hashes, b) => {
      const from = startMs + b * stepMs;
      const known = query.knownSteps?.get(from);
      if (known !== undefined) return known;
      const stats = await mergeStep(hashes, from);
      if (cache !== undefined && from + stepMs <= Math.min(finalBefore, toMs))
        cache.set(stepKey(query, from), stats);
      return stats;
    }),
  );
  async function mergeStep(hashes: WindowHash[], from: number): Promise<RouteStats | null> {
    if (hashes.length === 0) return null;
    const spanMs = Math.min(from + stepMs, toMs) - from;
    const stats = await merge(hashes, {
      app: windows.app,
      spanMs,
      mergeAs: ALL,
      ...(query.route !== undefined ? { route: query.route } : {}),
    });
    return stats[0] ?? null;
  }

  const groups = new Set(query.groups ?? SERIES_GROUPS);
  const data: Record<string, Array<number | null>> = {};
  const series = (name: string, value: (s: RouteStats) => number | null) => {
    data[name] = merged.map((s) => (s === null ? null : value(s)));
  };
  if (groups.has('throughput')) {
    for (const c of CLASSES) series(`rpm.${c}`, (s) => round4(s.statusClasses[c] * (s.rpm / s.count)));
  }
  if (groups.has('latency')) {
    series('p50_ms', (s) => s.p50Ms);
    series('p95_ms', (s) => s.p95Ms);
    series('p99_ms', (s) => s.p99Ms);
    series('max_ms', (s) => s.maxMs);
  }
  if (groups.has('errors')) series('error_rate', (s) => round4(s.errorRate));
  if (groups.has('codes')) {
    const totals = new Map<string, number>();
    for (const s of merged)
      for (const c of s?.routerCodes ?? []) totals.set(c.code, (totals.get(c.code) ?? 0) + c.count);
    const top = [...totals]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, query.codesLimit ?? 8);
    for (const [code] of top)
      series(`codes.${code}`, (s) => s.routerCodes.find((c) => c.code === code)?.count ?? 0);
  }
  return {
    ...stepHeader(layout, query.stepSeconds),
    resolution_seconds: windows.resolutionSeconds,
    route: query.route ?? null,
    data,
  };
}
