/**
 * The `--rps` cap: a token bucket refilled at `rps` per second holding at most
 * `burst` tokens (default: one second's worth, at least 1). Pure: the caller
 * passes the clock, so the cap is tested without sleeping.
 */
export class RateLimiter {
  private tokens: number;
  private lastMs = Number.NaN;

  constructor(
    private readonly rps: number,
    private readonly burst = Math.max(1, Math.min(rps, 1)),
  ) {
    this.tokens = this.burst;
  }

  /** 0 when a request may go now (and takes its token), else ms to wait before asking again */
  take(nowMs: number): number {
    if (!Number.isFinite(this.rps)) return 0;
    if (!Number.isNaN(this.lastMs)) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) * this.rps) / 1000);
    }
    this.lastMs = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.rps);
  }
}
