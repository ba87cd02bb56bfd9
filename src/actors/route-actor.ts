import type { RouterEvent } from '../logplex/router-event.js';
import type { WindowPool } from './window-pool.js';
import type { WindowState } from './window-state.js';

/**
 * The state of one (app, method, route template): the event-time windows it has
 * recorded into since the last drain. Usually one window, two around a window
 * boundary, more only when late records arrive.
 */
export class RouteActor {
  /** "GET /users/:id": method, space, template (built once, reused in every delta) */
  readonly route: string;
  /**
   * The roll-up generation (floor(watermark / rollup)) in which this route was
   * last admitted under the per-app cap; -1 if never. See PartitionAggregator.
   */
  admittedGen = -1;
  readonly windows: WindowState[] = [];
  private last: WindowState | null = null;

  constructor(route: string) {
    this.route = route;
  }

  /** Records into the window starting at `windowStart`; returns true if that opened a window. */
  record(ev: RouterEvent, windowStart: number, pool: WindowPool): boolean {
    let w = this.last;
    let opened = false;
    if (w === null || w.start !== windowStart) {
      w = null;
      for (const candidate of this.windows) {
        if (candidate.start === windowStart) {
          w = candidate;
          break;
        }
      }
      if (w === null) {
        w = pool.acquire(windowStart);
        this.windows.push(w);
        opened = true;
      }
      this.last = w;
    }
    w.record(ev);
    return opened;
  }

  /** Hands the windows back to the pool after they were turned into deltas. */
  releaseWindows(pool: WindowPool): void {
    for (const w of this.windows) pool.release(w);
    this.windows.length = 0;
    this.last = null;
  }
}
