import Table from 'cli-table3';
import type { QueryResolutions } from '../query/choose-resolution.js';
import { type MergeOptions, mergeRouteFields, type WindowHash } from '../query/merge-route-fields.js';
import { readRouteWindows } from '../query/query-routes.js';
import type { RouteStats } from '../query/route-stats.js';
import type { RedisClient } from '../sinks/redis/redis-client.js';

/**
 * `routemeter top`: the routes of one app over the last `sinceSeconds`, as a
 * table refreshed every `intervalMs` (the screen is cleared between frames), or
 * printed once with `once` (for scripts and tests). Stops when `signal` aborts
 * (the command wires SIGINT to it).
 */
export const TOP_SORTS = ['count', 'rpm', 'avg', 'p50', 'p95', 'p99', 'max', 'errors'] as const;
export type TopSort = (typeof TOP_SORTS)[number];

export interface TopOptions {
  redis: RedisClient;
  prefix: string;
  app: string;
  /** default 300 */
  sinceSeconds?: number;
  /** default 2000 */
  intervalMs?: number;
  /** rows shown, default 20 */
  limit?: number;
  /** default 'count' */
  sort?: TopSort;
  once?: boolean;
  resolutions?: QueryResolutions;
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  signal?: AbortSignal;
  now?: () => number;
  /** where merges run (a MergePool); inline when absent */
  merge?: (hashes: WindowHash[], options: MergeOptions) => Promise<RouteStats[]> | RouteStats[];
}

const CLEAR_SCREEN = '\x1b[2J\x1b[H';

export async function runTop(options: TopOptions): Promise<void> {
  const sinceSeconds = options.sinceSeconds ?? 300;
  const intervalMs = options.intervalMs ?? 2000;
  const limit = options.limit ?? 20;
  const sort = options.sort ?? 'count';
  if (!Number.isFinite(sinceSeconds) || sinceSeconds <= 0)
    throw new RangeError(`sinceSeconds must be > 0, got ${sinceSeconds}`);
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be an integer >= 1, got ${limit}`);
  if (!TOP_SORTS.includes(sort))
    throw new RangeError(`sort must be one of ${TOP_SORTS.join(', ')}, got ${sort}`);
  if (!options.once && (!Number.isFinite(intervalMs) || intervalMs < 100)) {
    throw new RangeError(`intervalMs must be >= 100, got ${intervalMs}`);
  }
  const out = options.out ?? process.stdout;
  const now = options.now ?? Date.now;

  const frame = async (): Promise<string> => {
    const toMs = now();
    const fromMs = toMs - sinceSeconds * 1000;
    const windows = await readRouteWindows(options.redis, options.prefix, {
      app: options.app,
      fromMs,
      toMs,
      resolutions: options.resolutions,
      nowMs: toMs,
    });
    const mergeOptions = { app: options.app, spanMs: windows.spanMs };
    const stats = await (options.merge ?? mergeRouteFields)(windows.hashes, mergeOptions);
    const title =
      `routemeter top — ${options.app} — last ${sinceSeconds}s at ${windows.resolutionSeconds}s resolution — ` +
      `${new Date(toMs).toISOString()} — sorted by ${sort}`;
    return `${title}\n${renderTopTable(stats, { limit, sort, color: out.isTTY === true })}\n`;
  };

  if (options.once) {
    out.write(await frame());
    return;
  }
  const signal = options.signal;
  while (!signal?.aborted) {
    let text: string;
    try {
      text = await frame();
    } catch (err) {
      // keep refreshing through a Redis outage; the next frame may succeed
      text = `routemeter top — ${options.app} — error: ${(err as Error).message}\n`;
    }
    out.write(CLEAR_SCREEN + text);
    await sleep(intervalMs, signal);
  }
}

const SORT_KEY: Record<TopSort, (s: RouteStats) => number> = {
  count: (s) => s.count,
  rpm: (s) => s.rpm,
  avg: (s) => s.avgMs ?? -1,
  p50: (s) => s.p50Ms ?? -1,
  p95: (s) => s.p95Ms ?? -1,
  p99: (s) => s.p99Ms ?? -1,
  max: (s) => s.maxMs ?? -1,
  errors: (s) => s.errorRate,
};

/** The table of one frame (pure: used by runTop and by tests). */
export function renderTopTable(
  stats: readonly RouteStats[],
  options: { limit?: number; sort?: TopSort; color?: boolean } = {},
): string {
  const key = SORT_KEY[options.sort ?? 'count'];
  const rows = [...stats].sort((a, b) => key(b) - key(a) || b.count - a.count).slice(0, options.limit ?? 20);
  const table = new Table({
    head: ['route', 'req', 'rpm', 'avg', 'p50', 'p95', 'p99', 'max', '2xx', '4xx', '5xx', 'err%', 'codes'],
    style: { head: options.color ? ['cyan'] : [], border: [] },
    // no separator line between rows
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    colAligns: [
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'left',
    ],
  });
  for (const s of rows) {
    table.push([
      s.route,
      String(s.count),
      s.rpm.toFixed(1),
      ms(s.avgMs),
      ms(s.p50Ms),
      ms(s.p95Ms),
      ms(s.p99Ms),
      ms(s.maxMs),
      String(s.statusClasses['2xx']),
      String(s.statusClasses['4xx']),
      String(s.statusClasses['5xx']),
      (s.errorRate * 100).toFixed(1),
      [...s.routerCodes, ...s.errorStatuses]
        .slice(0, 3)
        .map((c) => `${c.code}×${c.count}`)
        .join(' '),
    ]);
  }
  if (rows.length === 0) return '(no requests in this range)';
  return table.toString();
}

function ms(v: number | null): string {
  if (v === null) return '-';
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
