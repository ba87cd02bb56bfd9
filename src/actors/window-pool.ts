import { WindowState } from './window-state.js';

/**
 * Drained windows waiting to be reused, so a steady stream of routes allocates no
 * histograms per flush. After each drain the pool is trimmed to the larger of the
 * last two drains' releases: it never holds more than a recent flush interval
 * actually used, so a burst (a catch-up after downtime opens many windows) is given
 * back two flushes later. Trimming to the last release alone made every interval
 * that opened a few more windows than the one before build them afresh: measured on
 * a catch-up (bench/support/consume-breakdown.ts), ~95 new windows per flush, 2 HDR
 * histograms each, and their count arrays grown again by autoResize.
 */
export class WindowPool {
  private readonly free: WindowState[] = [];
  /** windows created since construction (for tests and the memory estimate) */
  created = 0;

  acquire(start: number): WindowState {
    const w = this.free.pop() ?? this.create();
    w.start = start;
    return w;
  }

  release(w: WindowState): void {
    w.reset();
    this.free.push(w);
  }

  private lastReleased = 0;

  /**
   * Called after a drain that released `released` windows: keeps at most the larger
   * of that and the previous drain's count (extra ones are dropped to the GC).
   */
  trim(released: number): void {
    const max = Math.max(released, this.lastReleased);
    this.lastReleased = released;
    if (this.free.length > max) this.free.length = max;
  }

  get size(): number {
    return this.free.length;
  }

  estimateBytes(): number {
    let bytes = 0;
    for (const w of this.free) bytes += w.estimateBytes();
    return bytes;
  }

  private create(): WindowState {
    this.created++;
    return new WindowState();
  }
}
