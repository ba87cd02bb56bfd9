import { Piscina } from 'piscina';
import { resolveWorkerScript } from '../util/worker-script.js';
import { type MergeOptions, mergeRouteFields, type WindowHash } from './merge-route-fields.js';
import type { MergeTask } from './merge-route-fields-task.js';
import type { RouteStats } from './route-stats.js';

/**
 * Read-side merges on a piscina pool. Merging a day of 10-second windows means
 * decoding and adding thousands of HDR histograms: CPU-bound, short, and
 * independent — a task, which is what piscina is for. Running them on the pool
 * keeps the event loop that serves `/metrics`, the API and `top` responsive.
 * Small merges run inline: a thread hop costs more than they do.
 *
 * (The partition consumers are long-lived polling loops, not tasks; they run on
 * plain worker_threads owned by the supervisor. See docs/partition-ownership.md.)
 */
export const INLINE_MERGE_MAX_HASHES = 32;

export class MergePool {
  private readonly pool: Piscina<MergeTask, RouteStats[]>;

  constructor(options: { maxThreads?: number } = {}) {
    this.pool = new Piscina({
      filename: resolveWorkerScript(import.meta.url, 'merge-route-fields-task.js').href,
      minThreads: 0,
      maxThreads: options.maxThreads ?? 2,
      idleTimeout: 30_000,
    });
  }

  merge(hashes: WindowHash[], options: MergeOptions): Promise<RouteStats[]> {
    if (hashes.length <= INLINE_MERGE_MAX_HASHES) return Promise.resolve(mergeRouteFields(hashes, options));
    return this.pool.run({ hashes, options });
  }

  get completed(): number {
    return this.pool.completed;
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
