import { advanceDynoState, type DynoState, emptyDynoState } from '../actors/dyno-state.js';
import type { DynoSample } from './protocol.js';

/**
 * The dyno series of `routemeter run`'s /metrics, kept on the main thread from
 * the workers' per-flush dyno samples (dyno-samples.ts). Labels are bounded:
 *
 *   app           the first `appLimit` apps seen get their own; the rest share `__other__`
 *   process_type  `web`, `worker`, `run` … (never the dyno id); past PROCESS_TYPE_LIMIT per app: `other`
 *   code          DYNO_EVENT_CODES, anything else `other`
 *
 * Gauges: per (app, process type), over the dynos seen in the last `forgetMs`:
 * memory = the max of the dynos' latest samples (by event time), quota = the max
 * quota, load = the mean of the dynos' latest `load_avg_1m`. Events are counters
 * (they only grow). Pure: the caller passes the clock.
 */
export const DYNO_EVENT_CODES: ReadonlySet<string> = new Set([
  'R10',
  'R12',
  'R13',
  'R14',
  'R15',
  'R16',
  'R17',
  'R99',
  'L10',
  'L11',
  'L12',
  'L13',
  'L14',
  'L15',
  'restart',
  'crash',
]);
export const OTHER_LABEL = '__other__';
export const OTHER_CODE = 'other';
export const PROCESS_TYPE_LIMIT = 20;
export const OTHER_PROCESS_TYPE = 'other';

interface DynoSeen extends DynoState {
  /** wall clock of the last sample (forgotten after forgetMs) */
  seenMs: number;
}

interface TypeState {
  dynos: Map<string, DynoSeen>;
  events: Map<string, number>;
}

export interface DynoGauge {
  app: string;
  processType: string;
  /** null when no dyno of the type has a memory sample */
  memory: { totalBytes: number; rssBytes: number; swapBytes: number } | null;
  /** null when no sample carried a quota */
  quotaBytes: number | null;
  /** null when no dyno of the type has a load sample */
  loadAverage: number | null;
}

const MB = 1024 * 1024;

export class DynoSeries {
  private readonly apps = new Map<string, Map<string, TypeState>>();

  constructor(
    private readonly appLimit: number,
    private readonly forgetMs: number,
  ) {}

  add(s: DynoSample, nowMs: number): void {
    const type = this.typeState(s.app, s.processType);
    // keyed by app too: apps past the cap share one `__other__` entry, and both may have a web.1
    const key = `${s.app}\u0000${s.dyno}`;
    let d = type.dynos.get(key);
    if (d === undefined) {
      d = { ...emptyDynoState(), seenMs: nowMs };
      type.dynos.set(key, d);
    }
    d.seenMs = nowMs;
    advanceDynoState(d, s);
    for (const code in s.events) {
      const label = DYNO_EVENT_CODES.has(code) ? code : OTHER_CODE;
      type.events.set(label, (type.events.get(label) ?? 0) + s.events[code]!);
    }
  }

  /** The gauges now; dynos silent for `forgetMs` are forgotten first. */
  gauges(nowMs: number): DynoGauge[] {
    const out: DynoGauge[] = [];
    for (const [app, types] of this.apps) {
      for (const [processType, type] of types) {
        let memory: DynoGauge['memory'] = null;
        let quota = 0;
        let loadSum = 0;
        let loads = 0;
        for (const [name, d] of type.dynos) {
          if (nowMs - d.seenMs > this.forgetMs) {
            type.dynos.delete(name);
            continue;
          }
          if (d.memoryLastMs >= 0) {
            memory ??= { totalBytes: 0, rssBytes: 0, swapBytes: 0 };
            memory.totalBytes = Math.max(memory.totalBytes, d.memoryTotalMb * MB);
            memory.rssBytes = Math.max(memory.rssBytes, d.memoryRssMb * MB);
            memory.swapBytes = Math.max(memory.swapBytes, d.memorySwapMb * MB);
          }
          if (d.memoryQuotaMb > quota) quota = d.memoryQuotaMb;
          if (d.loadLastMs >= 0) {
            loadSum += d.load1m;
            loads++;
          }
        }
        if (type.dynos.size === 0) continue;
        out.push({
          app,
          processType,
          memory,
          quotaBytes: quota > 0 ? quota * MB : null,
          loadAverage: loads > 0 ? loadSum / loads : null,
        });
      }
    }
    return out;
  }

  /** Every (app, process type, code) event count since the process started. */
  *events(): Iterable<{ app: string; processType: string; code: string; count: number }> {
    for (const [app, types] of this.apps) {
      for (const [processType, type] of types) {
        for (const [code, count] of type.events) yield { app, processType, code, count };
      }
    }
  }

  private typeState(app: string, processType: string): TypeState {
    let types = this.apps.get(app);
    if (types === undefined) {
      const label = this.apps.size < this.appLimit ? app : OTHER_LABEL;
      types = this.apps.get(label);
      if (types === undefined) {
        types = new Map();
        this.apps.set(label, types);
      }
      // Later samples of a capped app go straight to `__other__` (no new map entry per app).
    }
    let type = types.get(processType);
    if (type === undefined) {
      const label = types.size < PROCESS_TYPE_LIMIT ? processType : OTHER_PROCESS_TYPE;
      type = types.get(label);
      if (type === undefined) {
        type = { dynos: new Map(), events: new Map() };
        types.set(label, type);
      }
    }
    return type;
  }
}
