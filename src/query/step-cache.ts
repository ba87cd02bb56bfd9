import { readOffsets } from '../sinks/redis/read-offsets.js';
import type { RedisClient } from '../sinks/redis/redis-client.js';
import type { RouteStats } from './route-stats.js';

/**
 * Folded series steps that can no longer change, kept between requests: a wall
 * screen showing 7 days refreshes every 10 s, and without this every refresh
 * would re-read and re-merge 10,080 roll-up windows of which only the last hour
 * can still move.
 *
 * A step is final when it ends before the **final horizon**: the lowest stored
 * watermark of the router topic's partitions minus ALLOWED_LATENESS_SECONDS. A
 * record older than its partition's watermark minus the lateness is dropped
 * (docs/windows.md), so no flush can write into such a window again. Partitions
 * that never stored a watermark are skipped; entries also expire after `ttlMs`,
 * so a backlog arriving on a fresh partition is seen within that time.
 *
 * The same holds for dyno steps (queryDynos): platform partitions store a watermark and
 * drop late lines by the same rule, so their horizon comes from the platform topic's
 * watermarks. `V` is what one step folds to: RouteStats (or null: no window) for a
 * series, DynoStep for dynos; one cache per kind, each with its own key space.
 */
export class StepCache<V = RouteStats | null> {
  private readonly entries = new Map<string, { at: number; value: V }>();

  constructor(
    private readonly maxEntries = 50_000,
    private readonly ttlMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The step's folded value, or undefined when not cached (or expired). */
  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    if (this.now() - hit.at >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.value;
  }

  set(key: string, value: V): void {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { at: this.now(), value });
  }

  get size(): number {
    return this.entries.size;
  }
}

/** ms before which the windows of `topic` are final (see StepCache), or -Infinity when nothing is known. */
export async function finalHorizonMs(
  redis: RedisClient,
  prefix: string,
  topic: string,
  allowedLatenessSeconds: number,
): Promise<number> {
  let min = Number.POSITIVE_INFINITY;
  for (const o of await readOffsets(redis, prefix, topic))
    if (o.watermarkMs !== null && o.watermarkMs < min) min = o.watermarkMs;
  return min === Number.POSITIVE_INFINITY ? Number.NEGATIVE_INFINITY : min - allowedLatenessSeconds * 1000;
}
