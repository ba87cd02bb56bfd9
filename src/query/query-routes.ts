import type { Redis } from 'ioredis';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { toRedisError } from '../sinks/redis/redis-errors.js';
import { windowIndexKey, windowKey } from '../sinks/redis/redis-keys.js';
import { chooseResolution, DEFAULT_RESOLUTIONS, type QueryResolutions } from './choose-resolution.js';
import { mergeRouteFields, type WindowHash } from './merge-route-fields.js';
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
}

/** What a query read, before merging: hand `hashes` to mergeRouteFields, here or in a worker pool. */
export interface RouteWindows {
  app: string;
  resolutionSeconds: number;
  /** start of the first window read (the range start, aligned down to the resolution) */
  fromMs: number;
  toMs: number;
  /** toMs − fromMs: what rpm is computed over */
  spanMs: number;
  /** window starts (s) that had data */
  windowStarts: number[];
  hashes: WindowHash[];
}

export async function readRouteWindows(
  redis: Redis,
  prefix: string,
  query: RouteQuery,
): Promise<RouteWindows> {
  const { app, fromMs, toMs } = query;
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs) {
    throw new RoutemeterError(
      'RM_ERR_INVALID_QUERY',
      `query range must have fromMs < toMs, got ${fromMs}..${toMs}`,
    );
  }
  const resolution =
    query.resolution ??
    chooseResolution(fromMs, toMs, query.resolutions ?? DEFAULT_RESOLUTIONS, query.nowMs ?? Date.now());
  if (!Number.isInteger(resolution) || resolution < 1) {
    throw new RoutemeterError(
      'RM_ERR_INVALID_QUERY',
      `query resolution must be a positive integer, got ${resolution}`,
    );
  }
  const alignedFrom = Math.floor(fromMs / 1000 / resolution) * resolution;
  try {
    const starts = (
      await redis.zrangebyscore(windowIndexKey(prefix, resolution, app), alignedFrom, `(${toMs / 1000}`)
    ).map(Number);
    const pipeline = redis.pipeline();
    for (const start of starts) pipeline.hgetallBuffer(windowKey(prefix, resolution, app, start));
    const replies = starts.length === 0 ? [] : ((await pipeline.exec()) ?? []);
    const hashes: WindowHash[] = [];
    const windowStarts: number[] = [];
    replies.forEach(([err, hash], i) => {
      if (err) throw err;
      // an index entry can outlive its hash by a little (both expire): skip it
      if (hash && Object.keys(hash).length > 0) {
        hashes.push(hash as WindowHash);
        windowStarts.push(starts[i]!);
      }
    });
    return {
      app,
      resolutionSeconds: resolution,
      fromMs: alignedFrom * 1000,
      toMs,
      spanMs: toMs - alignedFrom * 1000,
      windowStarts,
      hashes,
    };
  } catch (err) {
    throw toRedisError(err, `query ${app}`);
  }
}

/** Routes of an app over a time range, busiest first. */
export async function queryRoutes(redis: Redis, prefix: string, query: RouteQuery): Promise<RouteStats[]> {
  const windows = await readRouteWindows(redis, prefix, query);
  return mergeRouteFields(windows.hashes, { app: windows.app, spanMs: windows.spanMs });
}
