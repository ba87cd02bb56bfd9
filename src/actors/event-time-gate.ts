import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * The event-time decisions of one partition (docs/windows.md), for the platform
 * aggregator: the watermark (highest event time seen), records later than
 * watermark − lateness dropped as late, records far ahead of the wall clock
 * rejected (one bogus future timestamp would otherwise make everything after it
 * late), and the roll-up generation floor(watermark / rollup) that per-app caps
 * are counted in. Every decision depends only on record order (the clock is read
 * only for a record that looks too far ahead), so a replay decides the same.
 */
export const GateVerdict = { Accept: 0, Late: 1, Reject: 2 } as const;
export type GateVerdict = (typeof GateVerdict)[keyof typeof GateVerdict];

export interface EventTimeGateOptions {
  rollupSeconds: number;
  allowedLatenessSeconds: number;
  /** restored from the store's claim; 0 for a partition never flushed */
  watermarkMs?: number;
  maxFutureSkewSeconds?: number;
  clock?: () => number;
}

export class EventTimeGate {
  private readonly rollupMs: number;
  private readonly latenessMs: number;
  private readonly maxFutureSkewMs: number;
  private readonly clock: () => number;
  private watermark: number;
  private genEndMs: number;
  private futureLimitMs: number;
  /** floor(watermark / rollup): the generation caps are counted in */
  gen: number;

  constructor(o: EventTimeGateOptions) {
    const watermarkMs = o.watermarkMs ?? 0;
    if (!Number.isFinite(watermarkMs) || watermarkMs < 0) {
      throw new RoutemeterError(
        'RM_ERR_CONFIG',
        `watermarkMs must be a finite number >= 0, got ${watermarkMs}`,
      );
    }
    this.rollupMs = o.rollupSeconds * 1000;
    this.latenessMs = o.allowedLatenessSeconds * 1000;
    this.maxFutureSkewMs = (o.maxFutureSkewSeconds ?? 300) * 1000;
    this.clock = o.clock ?? Date.now;
    this.watermark = 0;
    this.gen = 0;
    this.genEndMs = this.rollupMs;
    this.futureLimitMs = this.clock() + this.maxFutureSkewMs;
    this.restore(watermarkMs);
  }

  /** Raises the watermark to a stored one (never lowers it). */
  restore(watermarkMs: number | null): void {
    if (watermarkMs === null || !Number.isFinite(watermarkMs) || watermarkMs <= this.watermark) return;
    this.watermark = watermarkMs;
    this.gen = Math.floor(watermarkMs / this.rollupMs);
    this.genEndMs = (this.gen + 1) * this.rollupMs;
  }

  admit(ts: number): GateVerdict {
    if (!(ts > 0)) return GateVerdict.Reject;
    if (ts > this.futureLimitMs) {
      this.futureLimitMs = this.clock() + this.maxFutureSkewMs;
      if (ts > this.futureLimitMs) return GateVerdict.Reject;
    }
    if (ts > this.watermark) {
      this.watermark = ts;
      if (ts >= this.genEndMs) {
        this.gen = Math.floor(ts / this.rollupMs);
        this.genEndMs = (this.gen + 1) * this.rollupMs;
      }
      return GateVerdict.Accept;
    }
    return ts < this.watermark - this.latenessMs ? GateVerdict.Late : GateVerdict.Accept;
  }

  get watermarkMs(): number {
    return this.watermark;
  }
}
