import { type DynoWindowDelta, emptyDynoDelta } from '../actors/dyno-flush-batch.js';
import { advanceDynoState, type DynoState, emptyDynoState } from '../actors/dyno-state.js';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { processTypeOf, unpackDynoDelta, unpackDynoState } from '../sinks/redis/packed-dyno-values.js';
import type { RedisClient } from '../sinks/redis/redis-client.js';
import { toRedisError } from '../sinks/redis/redis-errors.js';
import {
  dynoStateKey,
  dynoWindowIndexKey,
  dynoWindowKey,
  platformAppsKey,
} from '../sinks/redis/redis-keys.js';
import { chooseResolution, DEFAULT_RESOLUTIONS, type QueryResolutions } from './choose-resolution.js';
import { findAppPartitions } from './find-app-partitions.js';
import { checkRange, checkResolution, readWindowHashes, type StoredWindow } from './read-window-hashes.js';
import { round4, type StepLayout, stepHeader, stepLayout, stepOf } from './series-steps.js';
import type { StepCache } from './step-cache.js';

/**
 * Dyno memory, load and platform events of one app, at the steps of its response-time
 * series (same layout as querySeries: series-steps.ts), so the dashboard draws them on one
 * time axis:
 *
 *   {"start_time":"2026-12-01T04:00:00.000Z","end_time":"…","step":"1m","step_seconds":60,
 *    "resolution_seconds":60,
 *    "data":{"memory_total_mean_mb.web":[231.4,null,…],"memory_total_max_mb.web":[…],…,"dynos.web":[3,null,…]},
 *    "process_types":["web","worker"],
 *    "events":[{"time":"…","time_ms":…,"dyno":"web.2","process_type":"web","code":"R14","count":3}],
 *    "dynos":[{"dyno":"web.1","process_type":"web","last_sample_at":"…","memory_total_mb":…,…,"load_1m":0.42}]}
 *
 * Read from the platform topic's partitions that list the app in `{p}dapps:{t:P}`: the
 * stored windows (`{p}dw:…`, one per partition and window, fields per dyno) whose start
 * falls in [start of the first step, toMs), and each partition's current state
 * (`{p}dyn:{t:P}:<app>`). Folding a step (per process type) is exact: means are Σsum /
 * Σsamples over every dyno, window and partition of the step (never a mean of means),
 * maxima are maxima, the quota is the largest quota seen; partitions holding the same
 * window add up like windows of different starts. A series is null in a step without a
 * sample of its kind (no memory sample → the memory series are null; `dynos` counts the
 * dynos with a memory or load sample, null when none).
 *
 * With a `stepCache`, steps that end before `finalBeforeMs` (the platform topic's final
 * horizon, step-cache.ts) are kept folded between calls, as querySeries keeps its steps:
 * a wall screen showing 7 days then reads only the steps that can still change.
 */
export interface DynoQuery {
  app: string;
  /** the (prefixed) platform topic: only its partitions are read */
  platformTopic: string;
  /** range start, ms (the first step starts here, aligned down to the step) */
  fromMs: number;
  /** range end, ms, exclusive */
  toMs: number;
  /** a multiple of the resolution */
  stepSeconds: number;
  /** stored window length to read (WINDOW_SECONDS or ROLLUP_SECONDS); 0 = chosen from the range like queryRoutes */
  resolutionSeconds: number;
  /** the clock for choosing a resolution (tests) */
  nowMs?: number;
  /** the sink's resolutions, for choosing one (default: Config defaults) */
  resolutions?: QueryResolutions;
  /** keeps steps that end before `finalBeforeMs` between calls (see StepCache) */
  stepCache?: StepCache<DynoStep>;
  finalBeforeMs?: number;
}

/**
 * One step folded: per process type its totals, and its events (per window, dyno and
 * code). What the step cache keeps; never changed once built.
 */
export interface DynoStep {
  readonly totals: ReadonlyArray<readonly [processType: string, totals: StepTotals]>;
  readonly events: readonly DynoEvent[];
}

export interface DynoEvent {
  /** start of the window holding the events (ISO) */
  time: string;
  time_ms: number;
  dyno: string;
  process_type: string;
  /** `R14`, `R10`, `L10`, …, `restart`, `crash` */
  code: string;
  count: number;
}

export interface DynoNow {
  dyno: string;
  process_type: string;
  /** event time of the dyno's latest memory sample */
  last_sample_at: string;
  memory_total_mb: number;
  memory_rss_mb: number;
  memory_swap_mb: number;
  /** 0 when no sample carried a quota */
  memory_quota_mb: number;
  /** the latest load_avg_1m, null if the dyno never sent one */
  load_1m: number | null;
}

export interface DynoSeriesResult {
  start_time: string;
  end_time: string;
  step: string;
  step_seconds: number;
  resolution_seconds: number;
  /** one array per series, one entry per step, null = no data (Heroku metrics API style, like querySeries) */
  data: Record<string, Array<number | null>>;
  /** process types with samples in the range, `web` first, then by name */
  process_types: string[];
  /** per stored window, dyno and code, oldest first */
  events: DynoEvent[];
  /**
   * each dyno's latest memory sample, whatever the range (current state), by process type and
   * dyno number; dynos silent for DYNO_STALE_MS while the app's others report are left out
   */
  dynos: DynoNow[];
}

export async function queryDynos(
  redis: RedisClient,
  prefix: string,
  q: DynoQuery,
): Promise<DynoSeriesResult> {
  const { app, fromMs, toMs, stepSeconds } = q;
  checkRange(fromMs, toMs);
  const resolution =
    q.resolutionSeconds > 0
      ? q.resolutionSeconds
      : chooseResolution(fromMs, toMs, q.resolutions ?? DEFAULT_RESOLUTIONS, q.nowMs ?? Date.now());
  checkResolution(resolution);
  if (!Number.isInteger(stepSeconds) || stepSeconds < 1 || stepSeconds % resolution !== 0) {
    throw new RoutemeterError(
      'RM_ERR_INVALID_QUERY',
      `query step must be a positive multiple of the resolution ${resolution}s, got ${stepSeconds}`,
    );
  }
  const layout = stepLayout(fromMs, toMs, stepSeconds);
  // Only the steps not already folded and final are read from Redis; cached steps are taken
  // once, here (an entry expiring during the fold would leave a step that was not read).
  const cache = q.stepCache;
  const finalBeforeMs = Math.min(q.finalBeforeMs ?? Number.NEGATIVE_INFINITY, toMs);
  const key = (stepStartMs: number) => `${app}\n${resolution}\n${stepSeconds}\n${stepStartMs}`;
  const known = new Map<number, DynoStep>();
  let readFromMs = layout.startMs;
  if (cache !== undefined) {
    while (readFromMs + layout.stepMs <= finalBeforeMs) {
      const hit = cache.get(key(readFromMs));
      if (hit === undefined) break;
      known.set(readFromMs, hit);
      readFromMs += layout.stepMs;
    }
  }
  try {
    const tags = await findAppPartitions(redis, prefix, app, {
      appsKey: platformAppsKey,
      topic: q.platformTopic,
    });
    const [windows, states] = await Promise.all([
      readFromMs < toMs
        ? readWindowHashes(
            redis,
            tags,
            readFromMs / 1000,
            toMs,
            (tag) => dynoWindowIndexKey(prefix, tag, resolution, app),
            (tag, start) => dynoWindowKey(prefix, tag, resolution, app, start),
          )
        : [],
      Promise.all(tags.map((tag) => redis.hgetallBuffer(dynoStateKey(prefix, tag, app)))),
    ]);
    return foldDynos(app, windows, states, {
      layout,
      stepSeconds,
      resolutionSeconds: resolution,
      knownSteps: known,
      ...(cache === undefined
        ? {}
        : {
            onStepFolded: (stepStartMs: number, step: DynoStep) => {
              if (stepStartMs + layout.stepMs <= finalBeforeMs) cache.set(key(stepStartMs), step);
            },
          }),
    });
  } catch (err) {
    throw toRedisError(err, `query dynos of ${app}`);
  }
}

/** One process type in one step: what its series are folded from. */
export interface StepTotals {
  memorySamples: number;
  totalSum: number;
  totalMax: number;
  rssMax: number;
  swapMax: number;
  quota: number;
  loadSamples: number;
  loadSum: number;
  loadMax: number;
  dynos: Set<string>;
}

function emptyTotals(): StepTotals {
  return {
    memorySamples: 0,
    totalSum: 0,
    totalMax: 0,
    rssMax: 0,
    swapMax: 0,
    quota: 0,
    loadSamples: 0,
    loadSum: 0,
    loadMax: 0,
    dynos: new Set(),
  };
}

function addWindow(t: StepTotals, d: DynoWindowDelta): void {
  if (d.memorySamples > 0) {
    if (t.memorySamples === 0 || d.memoryTotalMaxMb > t.totalMax) t.totalMax = d.memoryTotalMaxMb;
    if (t.memorySamples === 0 || d.memoryRssMaxMb > t.rssMax) t.rssMax = d.memoryRssMaxMb;
    if (t.memorySamples === 0 || d.memorySwapMaxMb > t.swapMax) t.swapMax = d.memorySwapMaxMb;
    if (d.memoryQuotaMb > t.quota) t.quota = d.memoryQuotaMb;
    t.memorySamples += d.memorySamples;
    t.totalSum += d.memoryTotalSumMb;
  }
  if (d.loadSamples > 0) {
    if (t.loadSamples === 0 || d.load1mMax > t.loadMax) t.loadMax = d.load1mMax;
    t.loadSamples += d.loadSamples;
    t.loadSum += d.load1mSum;
  }
  if (d.memorySamples > 0 || d.loadSamples > 0) t.dynos.add(d.dyno);
}

/** The series of one process type, by name suffix (`memory_total_mean_mb` → `memory_total_mean_mb.web`). */
const SERIES: Array<[name: string, value: (t: StepTotals) => number | null]> = [
  ['memory_total_mean_mb', (t) => (t.memorySamples > 0 ? round4(t.totalSum / t.memorySamples) : null)],
  ['memory_total_max_mb', (t) => (t.memorySamples > 0 ? t.totalMax : null)],
  ['memory_rss_max_mb', (t) => (t.memorySamples > 0 ? t.rssMax : null)],
  ['memory_swap_max_mb', (t) => (t.memorySamples > 0 ? t.swapMax : null)],
  ['memory_quota_mb', (t) => (t.quota > 0 ? t.quota : null)],
  ['load_1m_mean', (t) => (t.loadSamples > 0 ? round4(t.loadSum / t.loadSamples) : null)],
  ['load_1m_max', (t) => (t.loadSamples > 0 ? t.loadMax : null)],
  ['dynos', (t) => (t.dynos.size > 0 ? t.dynos.size : null)],
];

/** The windows of one stored hash: its fields `<dyno>|m|l|e` grouped per dyno and decoded. */
function windowDeltas(app: string, resolution: number, w: StoredWindow): DynoWindowDelta[] {
  const fields = new Map<string, { m?: Buffer; l?: Buffer; e?: Buffer }>();
  for (const [field, value] of Object.entries(w.hash)) {
    const bar = field.lastIndexOf('|');
    const suffix = field.slice(bar + 1);
    if (suffix !== 'm' && suffix !== 'l' && suffix !== 'e') continue; // a field of a later version
    const dyno = field.slice(0, bar);
    let f = fields.get(dyno);
    if (f === undefined) {
      f = {};
      fields.set(dyno, f);
    }
    f[suffix] = value;
  }
  return [...fields].map(([dyno, f]) =>
    unpackDynoDelta(emptyDynoDelta(resolution, w.start, app, processTypeOf(dyno), dyno), f),
  );
}

/** Folds what queryDynos read into the answer (pure; exported for tests). */
export function foldDynos(
  app: string,
  windows: readonly StoredWindow[],
  states: ReadonlyArray<Record<string, Buffer>>,
  o: {
    layout: StepLayout;
    stepSeconds: number;
    resolutionSeconds: number;
    /** steps already folded (from the step cache), by step start (ms): used as they are */
    knownSteps?: ReadonlyMap<number, DynoStep>;
    /** called with every step folded here from windows (empty ones too): queryDynos caches the final ones */
    onStepFolded?: (stepStartMs: number, step: DynoStep) => void;
  },
): DynoSeriesResult {
  const { layout } = o;
  // per step: process type → totals, and `start\ndyno\ncode` → event
  const folded = Array.from({ length: layout.steps }, () => ({
    totals: new Map<string, StepTotals>(),
    events: new Map<string, DynoEvent>(),
  }));
  for (const w of windows) {
    const step = stepOf(layout, w.start);
    if (step < 0 || o.knownSteps?.has(layout.startMs + step * layout.stepMs)) continue;
    const { totals, events } = folded[step]!;
    for (const d of windowDeltas(app, o.resolutionSeconds, w)) {
      if (d.memorySamples > 0 || d.loadSamples > 0) {
        let t = totals.get(d.processType);
        if (t === undefined) {
          t = emptyTotals();
          totals.set(d.processType, t);
        }
        addWindow(t, d);
      }
      for (const code in d.events) {
        const key = `${w.start}\n${d.dyno}\n${code}`;
        const e = events.get(key);
        if (e !== undefined) e.count += d.events[code]!;
        else
          events.set(key, {
            time: new Date(w.start * 1000).toISOString(),
            time_ms: w.start * 1000,
            dyno: d.dyno,
            process_type: d.processType,
            code,
            count: d.events[code]!,
          });
      }
    }
  }
  const steps: DynoStep[] = folded.map((f, s) => {
    const startMs = layout.startMs + s * layout.stepMs;
    const known = o.knownSteps?.get(startMs);
    if (known !== undefined) return known;
    const step: DynoStep = { totals: [...f.totals], events: [...f.events.values()] };
    o.onStepFolded?.(startMs, step);
    return step;
  });
  const perType = new Map<string, Array<StepTotals | undefined>>();
  steps.forEach((step, s) => {
    for (const [pt, t] of step.totals) {
      let series = perType.get(pt);
      if (series === undefined) {
        series = new Array(layout.steps);
        perType.set(pt, series);
      }
      series[s] = t;
    }
  });
  const processTypes = [...perType.keys()].sort(compareProcessTypes);
  const data: Record<string, Array<number | null>> = {};
  for (const pt of processTypes) {
    const perStep = perType.get(pt)!;
    for (const [name, value] of SERIES) {
      const series = new Array<number | null>(layout.steps);
      for (let s = 0; s < layout.steps; s++) series[s] = perStep[s] === undefined ? null : value(perStep[s]!);
      data[`${name}.${pt}`] = series;
    }
  }
  return {
    ...stepHeader(layout, o.stepSeconds),
    resolution_seconds: o.resolutionSeconds,
    data,
    process_types: processTypes,
    events: steps
      .flatMap((step) => step.events)
      .sort((a, b) => a.time_ms - b.time_ms || compareDynos(a.dyno, b.dyno) || (a.code < b.code ? -1 : 1)),
    dynos: currentDynos(states),
  };
}

/**
 * A dyno whose latest memory sample is this much older than the app's newest one is gone
 * (scaled down, a finished one-off `run.N`, renamed): log-runtime-metrics samples every
 * 20 s, so 5 minutes of silence while the app's other dynos report is not a slow dyno.
 */
export const DYNO_STALE_MS = 5 * 60_000;

/** The partitions' current states merged (the newest sample wins): dynos with a recent memory sample. */
function currentDynos(states: ReadonlyArray<Record<string, Buffer>>): DynoNow[] {
  const merged = new Map<string, DynoState>();
  for (const hash of states)
    for (const [dyno, value] of Object.entries(hash))
      merged.set(dyno, advanceDynoState(merged.get(dyno) ?? emptyDynoState(), unpackDynoState(value)));
  let newest = -1;
  for (const s of merged.values()) if (s.memoryLastMs > newest) newest = s.memoryLastMs;
  return [...merged]
    .filter(([, s]) => s.memoryLastMs >= 0 && s.memoryLastMs >= newest - DYNO_STALE_MS)
    .sort(([a], [b]) => compareDynos(a, b))
    .map(([dyno, s]) => ({
      dyno,
      process_type: processTypeOf(dyno),
      last_sample_at: new Date(s.memoryLastMs).toISOString(),
      memory_total_mb: s.memoryTotalMb,
      memory_rss_mb: s.memoryRssMb,
      memory_swap_mb: s.memorySwapMb,
      memory_quota_mb: s.memoryQuotaMb,
      load_1m: s.loadLastMs >= 0 ? s.load1m : null,
    }));
}

/** `web` first, then by name. */
export function compareProcessTypes(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'web') return -1;
  if (b === 'web') return 1;
  return a < b ? -1 : 1;
}

/** By process type (`web` first), then by dyno number: web.2 before web.10. */
export function compareDynos(a: string, b: string): number {
  const byType = compareProcessTypes(processTypeOf(a), processTypeOf(b));
  if (byType !== 0) return byType;
  const na = Number(a.slice(a.lastIndexOf('.') + 1));
  const nb = Number(b.slice(b.lastIndexOf('.') + 1));
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
