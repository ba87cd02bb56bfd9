import type { RouterEvent } from '../logplex/router-event.js';
import { ByteKeyCache, hashBytes } from './byte-key-table.js';
import { EventTimeGate, GateVerdict } from './event-time-gate.js';
import type { PartitionDrain, WindowDelta } from './flush-batch.js';
import { rollupDelta } from './rollup-delta.js';
import { RouteActor } from './route-actor.js';
import { type RoutePattern, RouteTemplater } from './route-template.js';
import { checkWindowOptions, requireInt } from './window-options.js';
import { WindowPool } from './window-pool.js';
import type { WindowState } from './window-state.js';

/**
 * The route actors of one Kafka partition. Pure: no timers, no I/O; the runtime
 * calls `record` for every parsed router line and `drain` at every flush.
 *
 *   record(ev) ──► timestamp check ──► watermark / late check ──► app ──► method
 *                  (rejected++)        (late++)                    │        │
 *                                                                  ▼        ▼
 *                         template cache (raw path → "/users/:id") ──► RouteActor
 *                         per-app cap: not admitted ⇒ "OTHER /:overflow"    │
 *                                                                          ▼
 *                                        WindowState of the event's short window
 *                                        (counters + 2 HDR histograms, pooled)
 *
 *   drain() ──► per actor and short window: a WindowDelta (resolution = windowSeconds)
 *               per actor and roll-up window: the sum of its short windows
 *               (resolution = rollupSeconds) ──► windows back to the pool, idle
 *               routes evicted ──► { deltas, records, overflowed, late, rejected, watermarkMs }
 *
 * Windows are tumbling and keyed by EVENT time (the syslog timestamp), never by
 * flush time. Only short windows are recorded into; a roll-up window is exactly
 * the sum of the short windows it contains (rollupSeconds must be a multiple of
 * windowSeconds), so it is derived at drain time: half the recording work and
 * half the memory of recording into both, with identical results.
 *
 * Late data: the watermark is the highest event time seen on the partition. A
 * record older than watermark − allowedLateness is dropped and counted as late.
 * That depends only on the order of records in the partition, so a replay makes
 * the same decisions, provided the watermark is restored with the offsets
 * (`watermarkMs` is stored by the flush and returned by the claim).
 *
 * Route cap: per app, at most `routeCapPerApp` distinct routes are admitted per
 * roll-up generation (floor(watermark / rollup)); other routes are recorded as
 * `OTHER /:overflow` and counted. Admission also depends only on record order.
 *
 * Lookup is app → method → template in nested Maps: the template string comes
 * from the cache (hash already computed), and no key is built per record.
 * Measured against one Map keyed by `app + "\0" + method + " " + template`: the
 * composed key costs about twice as much (concatenation, flattening, hashing).
 *
 * Memory: windows live only between two drains; see docs/windows.md.
 */
export interface AggregatorOptions {
  windowSeconds: number;
  rollupSeconds: number;
  allowedLatenessSeconds: number;
  routeCapPerApp: number;
  /** user route patterns, used when no `templater` is given */
  routePatterns?: readonly RoutePattern[];
  /** a templater shared by the aggregators of one thread (its cache then serves them all) */
  templater?: RouteTemplater;
  /** the watermark restored from the sink's claim (ms); 0 for a partition never flushed */
  watermarkMs?: number;
  /** records more than this far ahead of the wall clock are rejected (default 300 s) */
  maxFutureSkewSeconds?: number;
  /** wall clock, only consulted for the future-skew check (default Date.now) */
  clock?: () => number;
}

export const OVERFLOW_ROUTE = 'OTHER /:overflow';
/** app used when a router line has no host (never seen from Heroku, but not a reason to drop data) */
export const UNKNOWN_APP = '-';
/** heap bytes of a RouteActor and its map entries, without windows (bench/actors.ts) */
const ACTOR_OVERHEAD_BYTES = 300;
const APPS_BY_HOST_GENERATION = 4_096;
/** heap bytes of one cached raw path → template entry, roughly */
const TEMPLATE_CACHE_ENTRY_BYTES = 150;

class AppState {
  readonly name: string;
  /** method → template → actor */
  readonly methods = new Map<string, Map<string, RouteActor>>();
  overflow: RouteActor | null = null;
  /** roll-up generation the admission count belongs to */
  gen = -1;
  admitted = 0;
  routes = 0;

  constructor(name: string) {
    this.name = name;
  }
}

export class PartitionAggregator {
  readonly windowSeconds: number;
  readonly rollupSeconds: number;
  readonly allowedLatenessSeconds: number;
  readonly routeCapPerApp: number;
  private readonly windowMs: number;
  private readonly templater: RouteTemplater;
  private readonly ownsTemplater: boolean;
  private readonly apps = new Map<string, AppState>();
  /** `host=` bytes → the app (a partition holds few apps; bounded all the same) */
  private readonly appsByHost = new ByteKeyCache<AppState>(APPS_BY_HOST_GENERATION);
  private readonly pool = new WindowPool();

  private readonly gate: EventTimeGate;

  private records = 0;
  private overflowed = 0;
  private late = 0;
  private rejected = 0;
  private active = 0;
  private open = 0;

  static fromConfig(
    runtime: Pick<
      AggregatorOptions,
      'windowSeconds' | 'rollupSeconds' | 'allowedLatenessSeconds' | 'routeCapPerApp' | 'routePatterns'
    >,
    init: Pick<AggregatorOptions, 'templater' | 'watermarkMs' | 'clock' | 'maxFutureSkewSeconds'> = {},
  ): PartitionAggregator {
    return new PartitionAggregator({
      windowSeconds: runtime.windowSeconds,
      rollupSeconds: runtime.rollupSeconds,
      allowedLatenessSeconds: runtime.allowedLatenessSeconds,
      routeCapPerApp: runtime.routeCapPerApp,
      routePatterns: runtime.routePatterns,
      ...init,
    });
  }

  constructor(options: AggregatorOptions) {
    const { windowSeconds, rollupSeconds, allowedLatenessSeconds, routeCapPerApp } = options;
    checkWindowOptions(options);
    requireInt('ROUTE_CAP_PER_APP (routeCapPerApp)', routeCapPerApp, 1);
    this.windowSeconds = windowSeconds;
    this.rollupSeconds = rollupSeconds;
    this.allowedLatenessSeconds = allowedLatenessSeconds;
    this.routeCapPerApp = routeCapPerApp;
    this.windowMs = windowSeconds * 1000;
    this.ownsTemplater = options.templater === undefined;
    this.templater = options.templater ?? new RouteTemplater({ patterns: options.routePatterns ?? [] });
    this.gate = new EventTimeGate(options);
  }

  /**
   * Raises the watermark to what the sink stored with the partition's offsets
   * (`claimPartition(...).watermarkMs`), for an aggregator built before the claim.
   * Call it before recording; it never lowers the watermark.
   */
  restoreWatermark(watermarkMs: number | null): void {
    this.gate.restore(watermarkMs);
  }

  /** The hot path: one router request. Allocates only when a new app, route or window appears. */
  record(ev: RouterEvent): void {
    const verdict = this.gate.admit(ev.timestampMs);
    if (verdict !== GateVerdict.Accept) {
      if (verdict === GateVerdict.Late) this.late++;
      else this.rejected++;
      return;
    }
    const gen = this.gate.gen;

    const src = ev.src;
    let app: AppState;
    if (src !== null) {
      // From the record's bytes: no string per record (see RouterEvent.src).
      const h = hashBytes(src, ev.appStart, ev.appEnd);
      const known = this.appsByHost.get(src, ev.appStart, ev.appEnd, h);
      if (known !== undefined) app = known;
      else {
        app = this.appNamed(
          ev.appEnd > ev.appStart ? src.toString('utf8', ev.appStart, ev.appEnd) : UNKNOWN_APP,
        );
        this.appsByHost.set(src, ev.appStart, ev.appEnd, h, app);
      }
    } else {
      app = this.appNamed(ev.app === '' ? UNKNOWN_APP : ev.app);
    }
    if (app.gen !== gen) {
      app.gen = gen;
      app.admitted = 0;
    }
    const method = ev.method === '' ? '-' : ev.method;
    let routes = app.methods.get(method);
    if (routes === undefined) {
      routes = new Map();
      app.methods.set(detach(method), routes);
    }
    const template =
      src !== null
        ? this.templater.templateBytes(src, ev.pathStart, ev.pathEnd)
        : this.templater.template(ev.path);
    let actor = routes.get(template);
    if (actor === undefined || actor.admittedGen !== gen) {
      if (app.admitted >= this.routeCapPerApp) {
        actor = app.overflow ??= new RouteActor(OVERFLOW_ROUTE);
        this.overflowed++;
      } else {
        if (actor === undefined) {
          actor = new RouteActor(detach(method) + ' ' + template);
          routes.set(template, actor);
          app.routes++;
        }
        actor.admittedGen = gen;
        app.admitted++;
      }
    }

    const windowStart = Math.floor(ev.timestampMs / this.windowMs) * this.windowSeconds;
    const hadWindows = actor.windows.length > 0;
    if (actor.record(ev, windowStart, this.pool)) {
      this.open++;
      if (!hadWindows) this.active++;
    }
    this.records++;
  }

  private appNamed(name: string): AppState {
    let app = this.apps.get(name);
    if (app === undefined) {
      app = new AppState(detach(name));
      this.apps.set(app.name, app);
    }
    return app;
  }

  /**
   * Everything recorded since the previous drain, as deltas for both resolutions;
   * then the windows go back to the pool and routes idle since an earlier roll-up
   * generation are forgotten. The returned object is owned by the caller.
   */
  drain(): PartitionDrain {
    const deltas: WindowDelta[] = [];
    const released = this.open;
    const gen = this.gate.gen;
    let forgotApps = false;
    for (const [appName, app] of this.apps) {
      for (const [method, routes] of app.methods) {
        for (const [template, actor] of routes) {
          if (actor.windows.length > 0) this.drainActor(app, actor, deltas);
          else if (actor.admittedGen !== gen) {
            routes.delete(template);
            app.routes--;
          }
        }
        if (routes.size === 0) app.methods.delete(method);
      }
      if (app.overflow !== null) {
        if (app.overflow.windows.length > 0) this.drainActor(app, app.overflow, deltas);
        else app.overflow = null;
      }
      if (app.routes === 0 && app.overflow === null && app.gen !== gen) {
        this.apps.delete(appName);
        forgotApps = true;
      }
    }
    // The byte lookup must not hand out a forgotten AppState (rare: an app idle for a roll-up).
    if (forgotApps) this.appsByHost.clear();
    this.pool.trim(released);
    const drained: PartitionDrain = {
      deltas,
      records: this.records,
      overflowed: this.overflowed,
      late: this.late,
      rejected: this.rejected,
      watermarkMs: this.gate.watermarkMs,
    };
    this.records = 0;
    this.overflowed = 0;
    this.late = 0;
    this.rejected = 0;
    this.active = 0;
    this.open = 0;
    return drained;
  }

  private drainActor(app: AppState, actor: RouteActor, out: WindowDelta[]): void {
    const windows = actor.windows;
    // Windows open in event-time order unless records came late: sort only then
    // (Array.prototype.sort copies the array even when it is already in order).
    if (!inStartOrder(windows)) windows.sort((a, b) => a.start - b.start);
    const first = out.length;
    for (const w of windows) out.push(w.toDelta(this.windowSeconds, w.start, app.name, actor.route));
    if (this.rollupSeconds !== this.windowSeconds) {
      let i = 0;
      while (i < windows.length) {
        const rollupStart = this.rollupStartOf(windows[i]!.start);
        let j = i + 1;
        while (j < windows.length && this.rollupStartOf(windows[j]!.start) === rollupStart) j++;
        if (j - i === 1) {
          // One short window in this roll-up: same contents, same encoded histograms.
          out.push({ ...out[first + i]!, resolutionSeconds: this.rollupSeconds, windowStart: rollupStart });
        } else {
          out.push(rollupDelta(out, first + i, first + j, this.rollupSeconds, rollupStart));
        }
        i = j;
      }
    }
    actor.releaseWindows(this.pool);
  }

  private rollupStartOf(windowStart: number): number {
    return Math.floor(windowStart / this.rollupSeconds) * this.rollupSeconds;
  }

  /** highest event time seen (ms): the reference for late decisions */
  get watermarkMs(): number {
    return this.gate.watermarkMs;
  }

  /** routes that recorded something since the last drain */
  get activeRoutes(): number {
    return this.active;
  }

  /** route actors held (active ones plus admitted ones idle since the last drain) */
  get trackedRoutes(): number {
    let n = 0;
    for (const app of this.apps.values()) n += app.routes + (app.overflow === null ? 0 : 1);
    return n;
  }

  /** windows holding data since the last drain (each becomes one or two deltas) */
  get openWindows(): number {
    return this.open;
  }

  /** records aggregated since the last drain */
  get pendingRecords(): number {
    return this.records;
  }

  /**
   * Estimated heap bytes held: windows in use and pooled, actors, and the template
   * cache when this aggregator owns it. O(open windows); meant to be read once per
   * flush (e.g. to drain early when a catch-up opens many windows).
   */
  get memoryEstimateBytes(): number {
    let bytes = this.pool.estimateBytes();
    for (const app of this.apps.values()) {
      for (const routes of app.methods.values()) {
        for (const actor of routes.values()) {
          bytes += ACTOR_OVERHEAD_BYTES;
          for (const w of actor.windows) bytes += w.estimateBytes();
        }
      }
      if (app.overflow !== null) for (const w of app.overflow.windows) bytes += w.estimateBytes();
    }
    if (this.ownsTemplater) bytes += this.templater.cachedPaths * TEMPLATE_CACHE_ENTRY_BYTES;
    return bytes;
  }
}

function inStartOrder(windows: readonly WindowState[]): boolean {
  for (let i = 1; i < windows.length; i++) if (windows[i - 1]!.start > windows[i]!.start) return false;
  return true;
}

/**
 * A copy of `s` that does not pin the string it was cut from: strings kept as Map
 * keys outlive the record, and a V8 sliced string keeps its whole parent alive.
 */
function detach(s: string): string {
  return (' ' + s).slice(1);
}
