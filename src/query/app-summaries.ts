import type { RedisClient } from '../sinks/redis/redis-client.js';
import { errorRate } from './error-rate.js';
import { listApps } from './list-apps.js';
import { mergeRouteFields } from './merge-route-fields.js';
import { type MergeFn, type RouteQuery, readRouteWindows } from './query-routes.js';

export interface AppTotals {
  app: string;
  /** start of the latest window flushed for the app (event time), ms */
  lastSeenMs: number;
  /** requests in the range */
  count: number;
  /** requests per minute over the time the app's data covers in the range */
  rpm: number;
  errorRate: number;
}

/**
 * Every app with stored data and its totals over a range, most recently seen
 * first: one window read per app, the app's routes merged into one entry.
 */
export async function appSummaries(
  redis: RedisClient,
  prefix: string,
  range: Omit<RouteQuery, 'app'>,
  merge: MergeFn = mergeRouteFields,
): Promise<AppTotals[]> {
  const apps = await listApps(redis, prefix);
  return Promise.all(
    apps.map(async ({ app, lastSeenMs }) => {
      const windows = await readRouteWindows(redis, prefix, { ...range, app });
      const [all] = await merge(windows.hashes, { app, spanMs: windows.coveredMs, mergeAs: '*' });
      return {
        app,
        lastSeenMs,
        count: all?.count ?? 0,
        rpm: all?.rpm ?? 0,
        errorRate: all ? errorRate(all.statusClasses, all.count) : 0,
      };
    }),
  );
}
