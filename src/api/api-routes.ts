import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { appLastSeen } from '../query/app-last-seen.js';
import { appSummaries } from '../query/app-summaries.js';
import type { QueryResolutions } from '../query/choose-resolution.js';
import { ERROR_RATE_DEFINITION } from '../query/error-rate.js';
import { type DynoSeriesResult, type DynoStep, queryDynos } from '../query/query-dynos.js';
import { type MergeFn, readRouteWindows } from '../query/query-routes.js';
import { formatStep, querySeries, SERIES_GROUPS, type SeriesGroup } from '../query/query-series.js';
import type { RouteStats } from '../query/route-stats.js';
import { finalHorizonMs, type StepCache } from '../query/step-cache.js';
import type { RedisClient } from '../sinks/redis/redis-client.js';
import { canSeeApp } from './api-auth.js';
import { MAX_APPS_RANGE_SECONDS, planRange, planRoutes, planSeries, type SeriesPlan } from './query-plan.js';
import type { ResponseCache } from './response-cache.js';
import { badParam } from './time-params.js';

/**
 * The JSON endpoints (docs/api.md, /api/v1/openapi.json):
 *
 *   GET /api/v1/apps                    apps with data: latest window, requests and rpm over a range
 *   GET /api/v1/apps/:app/routes        per-route table over a range
 *   GET /api/v1/apps/:app/series        time series at a step, Heroku Metrics shape
 *   GET /api/v1/apps/:app/dynos         dyno memory and load at the same steps, platform events, dynos now
 *
 * Relative times make every request's range slightly different; `now` is rounded
 * down to FRESHNESS_MS so that identical requests within that period share one
 * computation (ResponseCache) and one ETag (a 304 for a refreshing wall screen).
 */
export const FRESHNESS_MS = 5000;
const CLOSED_AFTER_MS = 3_600_000;

export interface ApiDeps {
  redis: RedisClient;
  prefix: string;
  /** the router (and platform) topic and the lateness the runtime uses: which windows are final (StepCache) */
  routerTopic: string;
  /** where the runtime reads platform lines (R14, memory samples); null = PLATFORM_TOPIC='' (none) */
  platformTopic: string | null;
  allowedLatenessSeconds: number;
  /** ROUTE_CAP_PER_APP: the routes table shows at most this many routes besides `OTHER /:overflow` */
  routeCapPerApp: number;
  /** final steps of /series and of /dynos, kept between requests */
  stepCache: StepCache;
  dynoStepCache: StepCache<DynoStep>;
  resolutions: QueryResolutions;
  merge: MergeFn;
  cache: ResponseCache;
  now: () => number;
}

type Query = Record<string, string | undefined>;

export function registerApiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { redis, prefix, resolutions, merge, cache } = deps;
  const freshNow = () => Math.floor(deps.now() / FRESHNESS_MS) * FRESHNESS_MS;

  /** 404 for an app without data and for one outside the caller's list: the two look the same. */
  async function visibleApp(req: FastifyRequest, app: string): Promise<boolean> {
    if (!canSeeApp(req.principal!, app)) return false;
    return (await appLastSeen(redis, prefix, app)) !== null;
  }

  async function send(
    req: FastifyRequest,
    reply: FastifyReply,
    key: string,
    toMs: number,
    compute: () => Promise<unknown>,
  ) {
    const body = await cache.get(key, compute);
    // A range with an absolute end over an hour ago changes only with very late data;
    // anything ending at or near now changes with every flush.
    const q = req.query as Query;
    const absolute = q.until !== undefined && q.until !== 'now' && !q.until.startsWith('-');
    const closed = absolute && toMs < deps.now() - CLOSED_AFTER_MS;
    reply
      .header('etag', body.etag)
      .header('cache-control', `private, max-age=${closed ? 60 : FRESHNESS_MS / 1000}`)
      .header('vary', 'authorization');
    if (req.headers['if-none-match'] === body.etag) return reply.code(304).send();
    return reply.type('application/json; charset=utf-8').send(body.json);
  }

  app.get('/api/v1/apps', async (req, reply) => {
    const q = req.query as Query;
    const now = freshNow();
    const range = planRange(q, now, 900, MAX_APPS_RANGE_SECONDS);
    const principal = req.principal!;
    return send(req, reply, `apps|${principal.id}|${range.fromMs}|${range.toMs}`, range.toMs, async () => {
      const apps = (await appSummaries(redis, prefix, { ...range, resolutions, nowMs: now }, merge)).filter(
        (a) => canSeeApp(principal, a.app),
      );
      return {
        start_time: iso(range.fromMs),
        end_time: iso(range.toMs),
        apps: apps.map((a) => ({
          app: a.app,
          last_seen: iso(a.lastSeenMs),
          requests: a.count,
          rpm: a.rpm,
          error_rate: a.errorRate,
        })),
      };
    });
  });

  app.get<{ Params: { app: string } }>('/api/v1/apps/:app/routes', async (req, reply) => {
    const q = req.query as Query;
    const { app: name } = req.params;
    const now = freshNow();
    const plan = planRoutes(q, now, resolutions);
    if (!(await visibleApp(req, name))) return notFound(reply, name);
    return send(req, reply, `routes|${name}|${plan.fromMs}|${plan.toMs}`, plan.toMs, async () => {
      const windows = await readRouteWindows(redis, prefix, { app: name, ...plan });
      const routes = await merge(windows.hashes, {
        app: name,
        spanMs: windows.coveredMs,
        routeCap: deps.routeCapPerApp,
      });
      return {
        app: name,
        start_time: iso(plan.fromMs),
        end_time: iso(plan.toMs),
        resolution_seconds: windows.resolutionSeconds,
        covered_seconds: windows.coveredMs / 1000,
        error_rate_definition: ERROR_RATE_DEFINITION,
        routes: routes.map(routeJson),
      };
    });
  });

  app.get<{ Params: { app: string } }>('/api/v1/apps/:app/series', async (req, reply) => {
    const q = req.query as Query;
    const { app: name } = req.params;
    const now = freshNow();
    const plan = planSeries(q, now, resolutions);
    const groups = parseGroups(q.metrics);
    const route = q.route === undefined || q.route === '' ? undefined : q.route;
    if (!(await visibleApp(req, name))) return notFound(reply, name);
    const key = `series|${name}|${route ?? ''}|${groups.join(',')}|${plan.fromMs}|${plan.toMs}|${plan.stepSeconds}`;
    return send(req, reply, key, plan.toMs, async () => {
      const finalBeforeMs = await finalHorizonMs(
        redis,
        prefix,
        deps.routerTopic,
        deps.allowedLatenessSeconds,
      );
      const series = await querySeries(
        redis,
        prefix,
        {
          app: name,
          ...plan,
          ...(route ? { route } : {}),
          groups,
          nowMs: now,
          stepCache: deps.stepCache,
          finalBeforeMs,
        },
        merge,
      );
      return { app: name, ...series };
    });
  });

  // Same range, step and stored resolution as /series for the same parameters, so the page
  // draws memory and load on the response-time chart's time axis.
  app.get<{ Params: { app: string } }>('/api/v1/apps/:app/dynos', async (req, reply) => {
    const q = req.query as Query;
    const { app: name } = req.params;
    const now = freshNow();
    const plan = planSeries(q, now, resolutions);
    if (!(await visibleApp(req, name))) return notFound(reply, name);
    const key = `dynos|${name}|${plan.fromMs}|${plan.toMs}|${plan.stepSeconds}`;
    return send(req, reply, key, plan.toMs, async () => {
      const platformTopic = deps.platformTopic;
      const dynos =
        platformTopic === null
          ? noDynoData(plan)
          : await queryDynos(redis, prefix, {
              app: name,
              platformTopic,
              fromMs: plan.fromMs,
              toMs: plan.toMs,
              stepSeconds: plan.stepSeconds,
              resolutionSeconds: plan.resolution,
              nowMs: now,
              // platform partitions store watermarks and drop late lines like router ones
              stepCache: deps.dynoStepCache,
              finalBeforeMs: await finalHorizonMs(redis, prefix, platformTopic, deps.allowedLatenessSeconds),
            });
      return { app: name, ...dynos };
    });
  });
}

/** What /dynos answers when no platform topic is configured: the steps, and no data. */
function noDynoData(plan: SeriesPlan): DynoSeriesResult {
  const stepMs = plan.stepSeconds * 1000;
  const startMs = Math.floor(plan.fromMs / stepMs) * stepMs;
  const steps = Math.max(1, Math.ceil((plan.toMs - startMs) / stepMs));
  return {
    start_time: iso(startMs),
    end_time: iso(startMs + steps * stepMs),
    step: formatStep(plan.stepSeconds),
    step_seconds: plan.stepSeconds,
    resolution_seconds: plan.resolution,
    data: {},
    process_types: [],
    events: [],
    dynos: [],
  };
}

function parseGroups(raw: string | undefined): SeriesGroup[] {
  if (raw === undefined || raw === '') return [...SERIES_GROUPS];
  const groups = raw.split(',').map((s) => s.trim());
  for (const g of groups)
    if (!(SERIES_GROUPS as readonly string[]).includes(g))
      throw badParam(
        'metrics',
        `unknown group ${JSON.stringify(g)}; expected some of ${SERIES_GROUPS.join(',')}`,
      );
  return groups as SeriesGroup[];
}

function notFound(reply: FastifyReply, app: string) {
  return reply.code(404).send({ error: { code: 'not_found', message: `no data for app ${app}` } });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function routeJson(s: RouteStats) {
  return {
    route: s.route,
    method: s.method,
    path: s.path,
    requests: s.count,
    rpm: s.rpm,
    avg_ms: s.avgMs,
    p50_ms: s.p50Ms,
    p95_ms: s.p95Ms,
    p99_ms: s.p99Ms,
    max_ms: s.maxMs,
    status: s.statusClasses,
    error_rate: s.errorRate,
    codes: s.routerCodes,
    error_statuses: s.errorStatuses,
  };
}
