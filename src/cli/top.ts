import { RoutemeterError } from '../errors/routemeter-error.js';
import { appLastSeen } from '../query/app-last-seen.js';
import type { QueryResolutions } from '../query/choose-resolution.js';
import { listApps } from '../query/list-apps.js';
import { mergeRouteFields } from '../query/merge-route-fields.js';
import { queryDynos } from '../query/query-dynos.js';
import { type MergeFn, readRouteWindows } from '../query/query-routes.js';
import type { RedisClient } from '../sinks/redis/redis-client.js';
import { renderDynoLines } from './top-dynos.js';
import { renderTopTable, TOP_SORTS, type TopSort, topLegend } from './top-table.js';

export { renderTopTable, TOP_SORTS, type TopSort };

/**
 * `routemeter top`: the routes of one app over the last `sinceSeconds`, as a
 * table refreshed every `intervalMs` (the screen is cleared between frames), or
 * printed once with `once` (for scripts and tests). Stops when `signal` aborts
 * (the command wires SIGINT to it).
 */
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
  out?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  signal?: AbortSignal;
  now?: () => number;
  /** where merges run (a MergePool); inline when absent */
  merge?: MergeFn;
  /** a line under every frame (the demo puts the dashboard's URL there) */
  note?: string;
  /** the (prefixed) platform topic: the app's dynos are shown under the table; none when absent */
  platformTopic?: string | null;
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
  await assertKnownApp(options.redis, options.prefix, options.app);

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
    // rpm over the time the data covers: 22 requests in the first 12 s are 110 rpm, not 22/5 min
    const mergeOptions = { app: options.app, spanMs: windows.coveredMs };
    const stats = await (options.merge ?? mergeRouteFields)(windows.hashes, mergeOptions);
    const columns = out.columns ?? 80;
    const covered = Math.round(windows.coveredMs / 1000);
    const title =
      `routemeter top · ${options.app}\n` +
      `last ${sinceSeconds}s (data covers ${covered}s) at ${windows.resolutionSeconds}s resolution · ` +
      `by ${sort} · ${new Date(toMs).toISOString().slice(11, 19)}Z`;
    const table = renderTopTable(stats, { limit, sort, color: out.isTTY === true, columns });
    const dynos = options.platformTopic
      ? `${renderDynoLines(
          await queryDynos(options.redis, options.prefix, {
            app: options.app,
            platformTopic: options.platformTopic,
            fromMs,
            toMs,
            stepSeconds: windows.resolutionSeconds,
            resolutionSeconds: windows.resolutionSeconds,
          }),
          columns,
        )}\n`
      : '';
    const note = options.note ? `\n${options.note}\n` : '';
    return `${title}\n${table}\n${dynos}${topLegend(columns)}\n${note}`;
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

/** `top --app` on an app routemeter has no data for: say so and name the known ones. */
async function assertKnownApp(redis: RedisClient, prefix: string, app: string): Promise<void> {
  if ((await appLastSeen(redis, prefix, app)) !== null) return;
  const known = (await listApps(redis, prefix)).map((a) => a.app);
  const list =
    known.length === 0 ? 'none yet' : known.slice(0, 20).join(', ') + (known.length > 20 ? ', …' : '');
  throw new RoutemeterError('RM_ERR_UNKNOWN_APP', `no data for app ${app}; known apps: ${list}`, {
    details: { app, known },
  });
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
