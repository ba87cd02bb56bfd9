/**
 * Pacing by event time. The first replayed request fixes the origin: it goes at
 * wall time `w0` and stands for event time `e0`; every later request with event
 * time `e` is due at `w0 + (e - e0) / speed`. `--speed 1` reproduces production's
 * inter-arrival times, `--speed 10` compresses them tenfold, `--speed max`
 * (Infinity) sends as fast as the rate and concurrency caps allow.
 *
 * A request that is late (the caps, a slow consumer) is sent as soon as it can be,
 * and the schedule does not shift: later requests keep their own due times, so a
 * hiccup does not stretch the whole replay. How late every request was is what
 * `PacingStats` reports.
 */
export class PacingSchedule {
  private originWallMs = Number.NaN;
  private originEventMs = Number.NaN;

  constructor(readonly speed: number) {}

  /** wall time at which a request of event time `eventMs` is due (fixes the origin on first call) */
  dueAt(eventMs: number, nowMs: number): number {
    if (Number.isNaN(this.originWallMs)) {
      this.originWallMs = nowMs;
      this.originEventMs = eventMs;
    }
    if (!Number.isFinite(this.speed)) return nowMs;
    return this.originWallMs + (eventMs - this.originEventMs) / this.speed;
  }
}

/**
 * How close the achieved pacing came to the asked one:
 *  - `lateness`: send time minus due time per request (p50, p99, max, in ms);
 *  - `achievedSpeed`: event-time span ÷ wall-time span of the sent requests
 *    (1.0 at `--speed 1` is perfect);
 *  - `gapErrorMs`: mean |achieved gap − asked gap| between consecutive requests.
 */
export interface PacingSummary {
  askedSpeed: number | 'max';
  requests: number;
  eventSpanMs: number;
  wallSpanMs: number;
  achievedSpeed: number | null;
  latenessP50Ms: number;
  latenessP99Ms: number;
  latenessMaxMs: number;
  gapErrorMeanMs: number | null;
}

export class PacingStats {
  private readonly lateness: number[] = [];
  private firstEvent = Number.NaN;
  private lastEvent = Number.NaN;
  private firstWall = Number.NaN;
  private lastWall = Number.NaN;
  private gapErrorSum = 0;
  private gaps = 0;

  constructor(private readonly speed: number) {}

  record(eventMs: number, dueMs: number, sentMs: number): void {
    this.lateness.push(Math.max(0, sentMs - dueMs));
    if (Number.isNaN(this.firstEvent)) {
      this.firstEvent = eventMs;
      this.firstWall = sentMs;
    } else if (Number.isFinite(this.speed)) {
      const asked = (eventMs - this.lastEvent) / this.speed;
      this.gapErrorSum += Math.abs(sentMs - this.lastWall - asked);
      this.gaps++;
    }
    this.lastEvent = eventMs;
    this.lastWall = sentMs;
  }

  summary(): PacingSummary {
    const sorted = [...this.lateness].sort((a, b) => a - b);
    const q = (p: number) =>
      sorted.length === 0
        ? 0
        : (sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number);
    const eventSpan = this.lateness.length > 0 ? this.lastEvent - this.firstEvent : 0;
    const wallSpan = this.lateness.length > 0 ? this.lastWall - this.firstWall : 0;
    return {
      askedSpeed: Number.isFinite(this.speed) ? this.speed : 'max',
      requests: this.lateness.length,
      eventSpanMs: eventSpan,
      wallSpanMs: wallSpan,
      achievedSpeed: wallSpan > 0 ? eventSpan / wallSpan : null,
      latenessP50Ms: q(0.5),
      latenessP99Ms: q(0.99),
      latenessMaxMs: sorted.length === 0 ? 0 : (sorted[sorted.length - 1] as number),
      gapErrorMeanMs: this.gaps > 0 ? this.gapErrorSum / this.gaps : null,
    };
  }
}

/** `1`, `10`, `0.5`, `max` → a speed factor (Infinity for max). */
export function parseSpeed(value: string): number | null {
  if (value === 'max') return Number.POSITIVE_INFINITY;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : null;
}
