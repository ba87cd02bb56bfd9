import type { RedisClient } from '../sinks/redis/redis-client.js';
import { toRedisError } from '../sinks/redis/redis-errors.js';
import { windowIndexKey, windowKey } from '../sinks/redis/redis-keys.js';
import { chooseResolution, DEFAULT_RESOLUTIONS, type QueryResolutions } from './choose-resolution.js';
import { findAppPartitions } from './find-app-partitions.js';
import { type MergeOptions, mergeRouteFields, type WindowHash } from './merge-route-fields.js';
import { checkRange, checkResolution, readWindowHashes } from './read-window-hashes.js';
import type { RouteStats } from './route-stats.js';

export interface RouteQuery {
  app: string;
  /** range start, ms since the epoch (inclusive: the window containing it is read whole) */
  fromMs: number;
  /** range end, ms since the epoch (exclusive) */
  toMs: number;
  /** window length to read; chosen from the range when absent (chooseResolution) */
  resolution?: number;
  /** the resolutions and short retention the sink uses (default: Config defaults) */
  resolutions?: QueryResolutions;
  /** for tests: the clock used to choose a resolution */
  nowMs?: number;
  /** ROUTE_CAP_PER_APP, applied to the merged routes of all the app's partitions (MergeOptions.routeCap) */
  routeCap?: number;
}

/** What a query read, before merging: hand `hashes` to mergeRouteFields, here or in a worker pool. */
export interface RouteWindows {
  app: string;
  resolutionSeconds: number;
  /** start of the first window read (the range start, aligned down to the resolution) */
  fromMs: number;
  toMs: number;
  /** toMs − fromMs: the range read */
  spanMs: number;
  /**
   * The time the data covers, what rpm is computed over: from the start of the first
   * window with data to the end of the last one (or toMs, if earlier). 22 requests in
   * the first 12 s of a 5-minute range are 66 rpm over two 10-s windows, not 4.4. 0 when
   * nothing was read.
   */
  coveredMs: number;
  /** window starts (s) that had data, ascending (once each, whichever partitions held them) */
  windowStarts: number[];
  /** one per (partition, window) read: an app's windows may be spread over several partitions */
  hashes: WindowHash[];
  /** the window start (s) of each of `hashes`, same order (for folding into steps) */
  hashStarts: number[];
}

/**
 * Reads an app's windows of a range. The app's partitions come from the
 * per-partition apps indexes (findAppPartitions, no SCAN); each partition's window
 * index and hashes live in that partition's hash slot, so on Redis Cluster the reads
 * go to several nodes at once (auto-pipelined per node). Windows of the same start
 * from different partitions are all returned: mergeRouteFields sums them like
 * windows of different starts.
 */
export async function readRouteWindows(
  redis: RedisClient,
  prefix: string,
  query: RouteQuery,
): Promise<RouteWindows> {
  const { app, fromMs, toMs } = query;
  checkRange(fromMs, toMs);
  const resolution =
    query.resolution ??
    chooseResolution(fromMs, toMs, query.resolutions ?? DEFAULT_RESOLUTIONS, query.nowMs ?? Date.now());
  checkResolution(resolution);
  const alignedFrom = Math.floor(fromMs / 1000 / resolution) * resolution;
  try {
    const tags = await findAppPartitions(redis, prefix, app);
    const stored = await readWindowHashes(
      redis,
      tags,
      alignedFrom,
      toMs,
      (tag) => windowIndexKey(prefix, tag, resolution, app),
      (tag, start) => windowKey(prefix, tag, resolution, app, start),
    );
    const hashes: WindowHash[] = [];
    const hashStarts: number[] = [];
    const startSet = new Set<number>();
    for (const { start, hash } of stored) {
      hashes.push(hash as WindowHash);
      hashStarts.push(start);
      startSet.add(start);
    }
    const windowStarts = [...startSet].sort((a, b) => a - b);
    return {
      app,
      resolutionSeconds: resolution,
      fromMs: alignedFrom * 1000,
      toMs,
      spanMs: toMs - alignedFrom * 1000,
      coveredMs: coveredMs(windowStarts, resolution, toMs),
      windowStarts,
      hashes,
      hashStarts,
    };
  } catch (err) {
    throw toRedisError(err, `query ${app}`);
  }
}

/** First window start with data → end of the last window with data (capped at toMs), in ms. */
export function coveredMs(windowStarts: readonly number[], resolutionSeconds: number, toMs: number): number {
  if (windowStarts.length === 0) return 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const s of windowStarts) {
    if (s < first) first = s;
    if (s > last) last = s;
  }
  return Math.max(1, Math.min(toMs, (last + resolutionSeconds) * 1000) - first * 1000);
}

/** How a caller merges window hashes: inline (mergeRouteFields) or on a MergePool. */
export type MergeFn = (hashes: WindowHash[], options: MergeOptions) => Promise<RouteStats[]> | RouteStats[];

/** Routes of an app over a time range, busiest first; rpm over the time the data covers. */
export async function queryRoutes(
  redis: RedisClient,
  prefix: string,
  query: RouteQuery,
  merge: MergeFn = mergeRouteFields,
): Promise<RouteStats[]> {
  const windows = await readRouteWindows(redis, prefix, query);
  return merge(windows.hashes, { app: windows.app, spanMs: windows.coveredMs, routeCap: query.routeCap });
}
