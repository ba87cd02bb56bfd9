/**
 * The automatic stop: the replay ends itself when, over the last `windowMs`, the
 * share of requests that got a 5xx or no answer (timeout, connection refused or
 * reset) reaches `ratio`, once at least `minRequests` outcomes are in the window (a
 * single early failure must not stop a replay). Staging is being hurt or is down;
 * either way more traffic tells nothing. Pure: the caller passes the clock.
 */
export interface FailureWindowOptions {
  windowMs: number;
  ratio: number;
  minRequests: number;
}

export class FailureWindow {
  private readonly times: number[] = [];
  private readonly failed: boolean[] = [];
  private head = 0;
  private failures = 0;

  constructor(private readonly options: FailureWindowOptions) {}

  /** records an outcome; true when the stop threshold is crossed */
  record(nowMs: number, failure: boolean): boolean {
    this.times.push(nowMs);
    this.failed.push(failure);
    if (failure) this.failures++;
    this.evict(nowMs);
    return this.tripped();
  }

  tripped(): boolean {
    const n = this.times.length - this.head;
    return n >= this.options.minRequests && this.failures / n >= this.options.ratio;
  }

  /** failures and outcomes currently in the window */
  state(nowMs: number): { failures: number; requests: number } {
    this.evict(nowMs);
    return { failures: this.failures, requests: this.times.length - this.head };
  }

  private evict(nowMs: number): void {
    const from = nowMs - this.options.windowMs;
    while (this.head < this.times.length && (this.times[this.head] as number) < from) {
      if (this.failed[this.head]) this.failures--;
      this.head++;
    }
    if (this.head > 4096) {
      this.times.splice(0, this.head);
      this.failed.splice(0, this.head);
      this.head = 0;
    }
  }
}
