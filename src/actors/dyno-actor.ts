import type { PlatformEvent } from '../logplex/platform-event.js';
import { PlatformKind } from '../logplex/platform-event.js';
import { type DynoWindowDelta, emptyDynoDelta } from './dyno-flush-batch.js';

/**
 * The state of one (app, dyno) on a platform partition: the event-time windows it
 * recorded into since the last drain, each already in the shape of the delta it
 * becomes (`DynoWindowDelta`), so a drain hands them over without copying and a
 * roll-up is `mergeDynoDelta` of its short windows. Pure: no I/O, no timers.
 *
 *   memory sample (total and RSS present) → samples, sums, maxima, last (by event time), quota
 *   load sample (load_avg_1m present)      → samples, sum, max, last
 *   Error R14 / R10 / L10 …                → events[code]++
 *   State changed from … to starting       → events.restart++      (restart, daily cycling)
 *   State changed from … to crashed        → events.crash++
 *
 * A dyno emits one memory and one load line every ~20 s, so windows are few and
 * small; they are not pooled (unlike the route actors' histogram windows).
 */
export const RESTART_EVENT = 'restart';
export const CRASH_EVENT = 'crash';

export class DynoActor {
  readonly app: string;
  readonly processType: string;
  readonly dyno: string;
  /** the roll-up generation in which this dyno was last admitted under the per-app cap; -1 if never */
  admittedGen = -1;
  readonly windows: DynoWindowDelta[] = [];
  private last: DynoWindowDelta | null = null;

  constructor(app: string, processType: string, dyno: string) {
    this.app = app;
    this.processType = processType;
    this.dyno = dyno;
  }

  /**
   * Records `ev` into the window starting at `windowStart` (epoch s). Returns false,
   * recording nothing, when the event carries nothing a dyno actor keeps.
   */
  record(ev: PlatformEvent, windowStart: number, windowSeconds: number): boolean {
    if (!isRecordable(ev)) return false;
    let w = this.last;
    if (w === null || w.windowStart !== windowStart) {
      w = null;
      for (const candidate of this.windows) {
        if (candidate.windowStart === windowStart) {
          w = candidate;
          break;
        }
      }
      if (w === null) {
        w = emptyDynoDelta(windowSeconds, windowStart, this.app, this.processType, this.dyno);
        this.windows.push(w);
      }
      this.last = w;
    }
    recordInto(w, ev);
    return true;
  }

  /** Hands the windows over (the caller now owns them) and starts empty. */
  takeWindows(): DynoWindowDelta[] {
    const taken = this.windows.slice();
    this.windows.length = 0;
    this.last = null;
    return taken;
  }
}

/** True when `ev` holds something `recordInto` keeps. */
export function isRecordable(ev: PlatformEvent): boolean {
  switch (ev.kind) {
    case PlatformKind.Metrics:
      return hasMemory(ev) || hasLoad(ev);
    case PlatformKind.Error:
      return ev.code !== '';
    case PlatformKind.StateChange:
      return ev.stateTo === 'starting' || ev.stateTo === 'crashed';
    default:
      return false;
  }
}

function hasMemory(ev: PlatformEvent): boolean {
  return ev.memorySeen && ev.memoryTotalMb >= 0 && ev.memoryRssMb >= 0;
}

function hasLoad(ev: PlatformEvent): boolean {
  return ev.loadSeen && ev.load1m >= 0;
}

function count(w: DynoWindowDelta, code: string): void {
  w.events[code] = (w.events[code] ?? 0) + 1;
}

/** One event into one window; "last" follows event time, the later record winning a tie. */
export function recordInto(w: DynoWindowDelta, ev: PlatformEvent): void {
  const ts = ev.timestampMs;
  if (ev.kind === PlatformKind.Error) {
    count(w, ev.code);
    return;
  }
  if (ev.kind === PlatformKind.StateChange) {
    count(w, ev.stateTo === 'starting' ? RESTART_EVENT : CRASH_EVENT);
    return;
  }
  if (hasMemory(ev)) {
    const total = ev.memoryTotalMb;
    const rss = ev.memoryRssMb;
    // a sample without swap (NaN) counts as no swap
    const swap = Number.isFinite(ev.memorySwapMb) && ev.memorySwapMb > 0 ? ev.memorySwapMb : 0;
    const first = w.memorySamples === 0;
    w.memorySamples++;
    w.memoryTotalSumMb += total;
    w.memoryRssSumMb += rss;
    if (first || total > w.memoryTotalMaxMb) w.memoryTotalMaxMb = total;
    if (first || rss > w.memoryRssMaxMb) w.memoryRssMaxMb = rss;
    if (first || swap > w.memorySwapMaxMb) w.memorySwapMaxMb = swap;
    if (ts >= w.memoryLastMs) {
      w.memoryLastMs = ts;
      w.memoryTotalLastMb = total;
      w.memoryRssLastMb = rss;
      w.memorySwapLastMb = swap;
      if (ev.memoryQuotaMb > 0) w.memoryQuotaMb = ev.memoryQuotaMb;
    }
  }
  if (hasLoad(ev)) {
    const load = ev.load1m;
    if (w.loadSamples === 0 || load > w.load1mMax) w.load1mMax = load;
    w.loadSamples++;
    w.load1mSum += load;
    if (ts >= w.loadLastMs) {
      w.loadLastMs = ts;
      w.load1mLast = load;
    }
  }
}
