import { WindowState } from './window-state.js';

/**
 * Drained windows waiting to be reused, so a steady stream of routes allocates no
 * histograms per flush. After each drain the pool is trimmed to the number of
 * windows that drain released: it never holds more than the previous flush
 * interval actually used, so a burst (a catch-up after downtime opens many
 * windows) is given back one flush later.
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

  /** Keeps at most `max` free windows (the oldest extra ones are dropped to the GC). */
  trim(max: number): void {
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
