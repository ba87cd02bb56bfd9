import { formatRouterLine } from '../logplex/router-line-format.js';
import { formatSyslogLine } from '../logplex/syslog-frame-format.js';
import { createDynoFleet, type DynoFleet, type DynoLine } from './dyno-fleet.js';
import { createPrng, type Prng } from './prng.js';
import { type AppShape, buildCatalog, type ParamKind, type RouteShape } from './route-catalog.js';
import { createZipfSampler } from './zipf-sampler.js';

/**
 * A deterministic source of realistic Heroku drain lines (same seed, same lines):
 *
 *   router   <158>1 … host heroku router - at=info method=GET path="/api/v2/orders/8812" host=quiet-reef-12345.herokuapp.com …
 *   errors   at=error code=H12 desc="Request timeout" … service=30000ms status=503 bytes=0
 *            at=error code=H10 desc="App crashed" … dyno= connect= service= status=503 bytes=
 *   noise    <190>1 … host app web.3 - Started GET "/users/12" …              (the app's own output)
 *            <45>1 … host heroku web.1 - source=web.1 dyno=heroku.… sample#load_avg_1m=0.42 …
 *
 * Apps and routes are Zipf-distributed (a few hot routes, a long tail); latencies are
 * lognormal per route; paths carry ids and uuids that template back to the route.
 * Used by `routemeter gen`, the tests and the benchmarks.
 */
export interface LineGeneratorOptions {
  seed?: number;
  /** number of apps (default 50) */
  apps?: number;
  /** routes per app (default 24: 50 × 24 = 1200 route shapes) */
  routes?: number;
  /** Zipf exponent of app and route popularity (default 1.1) */
  zipf?: number;
  /** share of lines that are the app's own output (default 0.03) */
  appOutputRate?: number;
  /** share of lines that are random dyno runtime metrics (default 0.01; 0 with `dynoSamples`) */
  runtimeMetricsRate?: number;
  /** event time of each line; default: a deterministic clock from 2026-01-01 advancing 1 ms a line */
  clock?: () => number;
  /**
   * interleave the dyno fleet's lines (`dyno-fleet.ts`: memory and load every 20 s per
   * dyno, R14s, restarts) as they fall due in event time; off by default so that the
   * lines of a seed stay what tests and benchmarks were written against
   */
  dynoSamples?: boolean;
}

export interface GeneratedLine {
  /** the syslog line, without frame or trailing newline */
  line: string;
  kind: 'router' | 'app' | 'platform';
  timestampMs: number;
  /** router lines and the dyno fleet's platform lines (their app, which the line does not name); else '' */
  app: string;
  /** router lines only (else '' / -1) */
  method: string;
  path: string;
  /** the route template the path was drawn from */
  route: string;
  status: number;
  serviceMs: number;
  connectMs: number;
  bytes: number;
  code: string;
}

export type LineGenerator = (() => GeneratedLine) & { catalog: AppShape[] };

const HEX = '0123456789abcdef';
const WORDS = [
  'red',
  'blue',
  'fast',
  'summer',
  'sale',
  'intro',
  'guide',
  'best',
  'new',
  'how-to',
  'v2',
  'final',
];

function hex(rng: Prng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[rng.int(16)];
  return s;
}

function uuid(rng: Prng): string {
  return `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-${HEX[8 + rng.int(4)]}${hex(rng, 3)}-${hex(rng, 12)}`;
}

function param(rng: Prng, kind: ParamKind): string {
  switch (kind) {
    case 'id':
      return String(1 + Math.floor(Math.exp(rng.next() * 14)));
    case 'uuid':
      return uuid(rng);
    case 'slug':
      return `${rng.pick(WORDS)}-${rng.pick(WORDS)}-${rng.int(1000)}`;
    case 'hex':
      return hex(rng, 24);
    case 'date':
      return `2025-${String(1 + rng.int(12)).padStart(2, '0')}-${String(1 + rng.int(28)).padStart(2, '0')}`;
  }
}

function makePath(rng: Prng, route: RouteShape): string {
  let path = '';
  for (const s of route.segments) path += '/' + ('literal' in s ? s.literal : param(rng, s.param));
  if (path === '') path = '/';
  if (route.query && rng.chance(0.5)) {
    path += `?page=${1 + rng.int(20)}&q=${rng.pick(WORDS)}${rng.chance(0.3) ? '&sort=' : ''}`;
  }
  return path;
}

function ip(rng: Prng): string {
  return `${1 + rng.int(223)}.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}`;
}

export function createLineGenerator(options: LineGeneratorOptions = {}): LineGenerator {
  const rng = createPrng(options.seed ?? 1);
  const catalog = buildCatalog(rng, options.apps ?? 50, options.routes ?? 24);
  const s = options.zipf ?? 1.1;
  const appSampler = createZipfSampler(catalog.length, s, rng);
  const routeSamplers = catalog.map((a) => createZipfSampler(a.routes.length, s, rng));
  const appOutputRate = options.appOutputRate ?? 0.03;
  // the fleet replaces the random runtime-metrics noise unless a rate is asked for
  const runtimeRate = options.runtimeMetricsRate ?? (options.dynoSamples === true ? 0 : 0.01);
  let tick = 0;
  const start = Date.UTC(2026, 0, 1);
  const clock = options.clock ?? (() => start + tick);

  const blank = {
    app: '',
    method: '',
    path: '',
    route: '',
    status: -1,
    serviceMs: -1,
    connectMs: -1,
    bytes: -1,
    code: '',
  };

  let fleet: DynoFleet | null = null;
  let dynoLines: DynoLine[] = [];
  let dynoNext = 0;

  const generate = (): GeneratedLine => {
    const timestampMs = clock();
    if (options.dynoSamples === true) {
      fleet ??= createDynoFleet({ seed: options.seed ?? 1, apps: catalog, startMs: timestampMs });
      if (dynoNext === dynoLines.length) {
        dynoLines = fleet.due(timestampMs);
        dynoNext = 0;
      }
      const d = dynoLines[dynoNext];
      if (d !== undefined) {
        dynoNext++;
        return { ...blank, line: d.line, kind: 'platform', timestampMs: d.timestampMs, app: d.app };
      }
    }
    tick++;
    const micros = rng.int(1000);
    const appIndex = appSampler();
    const app = catalog[appIndex]!;
    const dyno = `web.${1 + rng.int(app.dynos)}`;
    const r = rng.next();

    if (r < appOutputRate) {
      const route = app.routes[routeSamplers[appIndex]!()]!;
      const message = `Started ${route.method} "${makePath(rng, route)}" for ${ip(rng)} at ${new Date(timestampMs).toISOString()}`;
      const line = formatSyslogLine({ pri: 190, timestampMs, micros, app: 'app', procid: dyno, message });
      return { line, kind: 'app', timestampMs, ...blank };
    }
    if (r < appOutputRate + runtimeRate) {
      const message = rng.chance(0.5)
        ? `source=${dyno} dyno=heroku.${1000000 + rng.int(9000000)}.${uuid(rng)} sample#load_avg_1m=${(rng.next() * 3).toFixed(2)} sample#load_avg_5m=${(rng.next() * 2).toFixed(2)} sample#load_avg_15m=${(rng.next() * 1.5).toFixed(2)}`
        : `source=${dyno} dyno=heroku.${1000000 + rng.int(9000000)}.${uuid(rng)} sample#memory_total=${(200 + rng.next() * 300).toFixed(2)}MB sample#memory_rss=${(180 + rng.next() * 250).toFixed(2)}MB sample#memory_cache=${(rng.next() * 40).toFixed(2)}MB sample#memory_swap=0.00MB sample#memory_pgpgin=${rng.int(900000)}pages sample#memory_pgpgout=${rng.int(800000)}pages sample#memory_quota=512.00MB`;
      const line = formatSyslogLine({ pri: 45, timestampMs, micros, app: 'heroku', procid: dyno, message });
      return { line, kind: 'platform', timestampMs, ...blank };
    }

    const route = app.routes[routeSamplers[appIndex]!()]!;
    const path = makePath(rng, route);
    const requestId = uuid(rng);
    const fwd = rng.chance(0.1) ? `${ip(rng)}, ${ip(rng)}` : ip(rng);
    let serviceMs = Math.max(0, Math.round(Math.exp(Math.log(route.medianMs) + route.sigma * rng.normal())));
    let connectMs = rng.chance(0.9) ? rng.int(2) : 1 + rng.int(20);
    let status = route.method === 'POST' ? 201 : 200;
    let bytes = Math.max(0, Math.round(route.bytes * (0.5 + rng.next())));
    let code = '';
    let desc = '';
    let dynoField = dyno;
    const e = rng.next();
    if (serviceMs >= 30000 || e < 0.0015) {
      code = 'H12';
      desc = 'Request timeout';
      serviceMs = 30000;
      status = 503;
      bytes = 0;
    } else if (e < 0.0025) {
      code = 'H10';
      desc = 'App crashed';
      dynoField = '';
      serviceMs = -1;
      connectMs = -1;
      status = 503;
      bytes = -1;
    } else if (e < 0.003) {
      code = 'H13';
      desc = 'Connection closed without response';
      status = 503;
      bytes = 0;
    } else if (e < 0.004) {
      code = 'H27';
      desc = 'Client Request Interrupted';
      status = 499;
      bytes = -1;
    } else if (rng.chance(route.serverErrorRate)) {
      status = 500;
    } else if (rng.chance(route.clientErrorRate)) {
      status = rng.pick([400, 401, 403, 404, 404, 404, 422, 429]);
    } else if (route.method === 'GET' && rng.chance(0.05)) {
      status = 304;
      bytes = 0;
    }
    const fields: Record<string, string | number> = code
      ? { at: code === 'H27' ? 'info' : 'error', code, desc }
      : { at: 'info' };
    Object.assign(fields, {
      method: route.method,
      path,
      host: app.host,
      request_id: requestId,
      fwd,
      dyno: dynoField,
      connect: connectMs < 0 ? '' : `${connectMs}ms`,
      service: serviceMs < 0 ? '' : `${serviceMs}ms`,
      status,
      bytes: bytes < 0 ? '' : bytes,
      protocol: rng.chance(0.9) ? 'https' : 'http',
    });
    const line = formatSyslogLine({
      pri: 158,
      timestampMs,
      micros,
      app: 'heroku',
      procid: 'router',
      message: formatRouterLine(fields),
    });
    return {
      line,
      kind: 'router',
      timestampMs,
      app: app.host,
      method: route.method,
      path,
      route: route.template,
      status,
      serviceMs,
      connectMs,
      bytes,
      code,
    };
  };
  return Object.assign(generate, { catalog });
}
