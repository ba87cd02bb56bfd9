import type { PlatformEvent } from '../logplex/platform-event.js';
import { DynoActor, isRecordable } from './dyno-actor.js';
import { type DynoWindowDelta, mergeDynoDelta, type PlatformDrain } from './dyno-flush-batch.js';
import { EventTimeGate, GateVerdict } from './event-time-gate.js';
import { UNKNOWN_APP } from './partition-aggregator.js';
import { checkWindowOptions, requireInt } from './window-options.js';

/**
 * The dyno actors of one platform-topic partition, the counterpart of
 * PartitionAggregator for router partitions. Pure: no timers, no I/O; the runtime
 * parses each record with `parsePlatformEvent`, resolves the app (the lines do not
 * name it: see docs/dyno-metrics.md) and calls `record`, then `drain` at every flush.
 *
 *   record(app, ev) ──► recordable? ──► event-time gate ──► app ──► dyno actor (cap per app)
 *                       (ignored++)     (late++ /           │         not admitted ⇒ `overflow`
 *                                        rejected++)        ▼
 *                                             the window of floor(t / WINDOW_SECONDS)
 *
 *   drain() ──► per actor and short window: its DynoWindowDelta
 *               per actor and roll-up window: the merge of its short windows
 *               ──► idle dynos forgotten ──► { deltas, records, overflowed, ignored, late, rejected, watermarkMs }
 *
 * Same windows, watermark and lateness as the router partitions (docs/windows.md),
 * so a p99 spike and the R14 of the dyno behind it land in the same window.
 * Dyno cap: per app, at most `dynoCapPerApp` distinct dynos are admitted per
 * roll-up generation; one-off dynos (`run.4821`, `scheduler.9`) are new names at
 * every run, so an app that runs many would otherwise grow without bound. Others go
 * to the app's `overflow` dyno (process type `overflow`) and are counted.
 */
export interface PlatformAggregatorOptions {
  windowSeconds: number;
  rollupSeconds: number;
  allowedLatenessSeconds: number;
  dynoCapPerApp: number;
  watermarkMs?: number;
  maxFutureSkewSeconds?: number;
  clock?: () => number;
}

export const OVERFLOW_DYNO = 'overflow';

class PlatformApp {
  readonly dynos = new Map<string, DynoActor>();
  overflow: DynoActor | null = null;
  gen = -1;
  admitted = 0;
}

export class PlatformAggregator {
  readonly windowSeconds: number;
  readonly rollupSeconds: number;
  readonly dynoCapPerApp: number;
  private readonly gate: EventTimeGate;
  private readonly apps = new Map<string, PlatformApp>();
  private records = 0;
  private overflowed = 0;
  private ignored = 0;
  private late = 0;
  private rejected = 0;

  constructor(o: PlatformAggregatorOptions) {
    checkWindowOptions(o);
    requireInt('DYNO_CAP_PER_APP (dynoCapPerApp)', o.dynoCapPerApp, 1);
    this.windowSeconds = o.windowSeconds;
    this.rollupSeconds = o.rollupSeconds;
    this.dynoCapPerApp = o.dynoCapPerApp;
    this.gate = new EventTimeGate(o);
  }

  /** Raises the watermark to the one stored with the partition's offsets (never lowers it). */
  restoreWatermark(watermarkMs: number | null): void {
    this.gate.restore(watermarkMs);
  }

  /** One parsed platform record of `app` ('' when unknown: recorded under `UNKNOWN_APP`). Never throws. */
  record(app: string, ev: PlatformEvent): void {
    if (!isRecordable(ev)) {
      this.ignored++;
      return;
    }
    const verdict = this.gate.admit(ev.timestampMs);
    if (verdict !== GateVerdict.Accept) {
      if (verdict === GateVerdict.Late) this.late++;
      else this.rejected++;
      return;
    }
    const appName = app === '' ? UNKNOWN_APP : app;
    let state = this.apps.get(appName);
    if (state === undefined) {
      state = new PlatformApp();
      this.apps.set(appName, state);
    }
    const gen = this.gate.gen;
    if (state.gen !== gen) {
      state.gen = gen;
      state.admitted = 0;
    }
    let actor = state.dynos.get(ev.dyno);
    if (actor === undefined || actor.admittedGen !== gen) {
      if (state.admitted >= this.dynoCapPerApp) {
        actor = state.overflow ??= new DynoActor(appName, OVERFLOW_DYNO, OVERFLOW_DYNO);
        this.overflowed++;
      } else {
        if (actor === undefined) {
          actor = new DynoActor(appName, ev.processType, ev.dyno);
          state.dynos.set(ev.dyno, actor);
        }
        actor.admittedGen = gen;
        state.admitted++;
      }
    }
    const windowStart = Math.floor(ev.timestampMs / (this.windowSeconds * 1000)) * this.windowSeconds;
    actor.record(ev, windowStart, this.windowSeconds);
    this.records++;
  }

  /**
   * Everything recorded since the previous drain, as deltas for both resolutions,
   * ordered by app, dyno and window; dynos idle since an earlier roll-up generation
   * are forgotten. The returned object is owned by the caller.
   */
  drain(): PlatformDrain {
    const deltas: DynoWindowDelta[] = [];
    const gen = this.gate.gen;
    for (const [appName, state] of this.apps) {
      for (const [dyno, actor] of state.dynos) {
        if (actor.windows.length > 0) this.drainActor(actor, deltas);
        else if (actor.admittedGen !== gen) state.dynos.delete(dyno);
      }
      if (state.overflow !== null) {
        if (state.overflow.windows.length > 0) this.drainActor(state.overflow, deltas);
        else state.overflow = null;
      }
      if (state.dynos.size === 0 && state.overflow === null && state.gen !== gen) this.apps.delete(appName);
    }
    const drained: PlatformDrain = {
      deltas,
      records: this.records,
      overflowed: this.overflowed,
      ignored: this.ignored,
      late: this.late,
      rejected: this.rejected,
      watermarkMs: this.gate.watermarkMs,
    };
    this.records = 0;
    this.overflowed = 0;
    this.ignored = 0;
    this.late = 0;
    this.rejected = 0;
    return drained;
  }

  private drainActor(actor: DynoActor, out: DynoWindowDelta[]): void {
    const windows = actor.takeWindows();
    if (windows.length > 1) windows.sort((a, b) => a.windowStart - b.windowStart);
    for (const w of windows) out.push(w);
    if (this.rollupSeconds === this.windowSeconds) return;
    let rollup: DynoWindowDelta | null = null;
    for (const w of windows) {
      const start = Math.floor(w.windowStart / this.rollupSeconds) * this.rollupSeconds;
      if (rollup === null || rollup.windowStart !== start) {
        rollup = { ...w, events: { ...w.events }, resolutionSeconds: this.rollupSeconds, windowStart: start };
        out.push(rollup);
      } else {
        mergeDynoDelta(rollup, w);
      }
    }
  }

  get watermarkMs(): number {
    return this.gate.watermarkMs;
  }

  /** records aggregated since the last drain (for backpressure, like PartitionAggregator's) */
  get pendingRecords(): number {
    return this.records;
  }

  /** dyno actors held, overflow actors included */
  get trackedDynos(): number {
    let n = 0;
    for (const state of this.apps.values()) n += state.dynos.size + (state.overflow === null ? 0 : 1);
    return n;
  }
}
