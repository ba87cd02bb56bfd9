/**
 * Memory per active route, for bench/consume.ts. Run in a child process with
 * `node --expose-gc dist/bench/support/consume-route-memory.js '<json options>'`;
 * prints one JSON line.
 *
 * Method: the benchmark's own lines (same generator, seed, apps and routes) are
 * parsed up front into plain arrays (the input, outside the measurement); the
 * route templater (one per worker thread in the runtime, bounded cache) is warmed
 * with every path before the baseline, so it is not charged to routes. Then one
 * PartitionAggregator, built from the runtime's config the way worker-ports.ts
 * builds it, records `flushes` flush intervals of `perFlush` records each and is
 * drained after every interval but the last, as the partition consumer does, so
 * the windows recycled through the pool have grown to what they see in steady
 * state. After the last interval (before its drain, when the aggregator holds the
 * most) the V8 heap plus external memory (histogram counts arrays) is measured
 * after forced GCs; the growth over the baseline divided by the active routes
 * (routes with a window open since the last drain) is the figure.
 *
 * Two event-time densities:
 *   live     every flush interval covers 1 s of event time (the records arrive as
 *            they happen): one 10 s window per route;
 *   catch-up the topic's own spacing (`linesPerSecond` lines per second of event
 *            time): reading a backlog at full speed, a 1 s flush spans many seconds
 *            of event time and each route holds several windows.
 */
import { PartitionAggregator } from '../../src/actors/partition-aggregator.js';
import { RouteTemplater } from '../../src/actors/route-template.js';
import { loadConfig } from '../../src/config/config.js';
import { createLineGenerator } from '../../src/gen/line-generator.js';
import { createRouterEvent } from '../../src/logplex/router-event.js';
import { parseRouterEvent } from '../../src/logplex/router-line.js';

export interface RouteMemoryOptions {
  seed: number;
  apps: number;
  routes: number;
  linesPerSecond: number;
  perFlush: number;
  flushes: number;
  routePatterns: string;
}

export interface RouteMemoryScenario {
  activeRoutes: number;
  windowsPerRoute: number;
  bytesPerRoute: number;
  estimatePerRoute: number;
}

export interface RouteMemoryResult {
  live: RouteMemoryScenario;
  catchUp: RouteMemoryScenario;
  templaterPaths: number;
}

interface Events {
  n: number;
  app: string[];
  method: string[];
  path: string[];
  service: Float64Array;
  connect: Float64Array;
  status: Int32Array;
  bytes: Float64Array;
  code: string[];
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) g();
}

const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

function events(opts: RouteMemoryOptions, n: number): Events {
  const gen = createLineGenerator({ seed: opts.seed, apps: opts.apps, routes: opts.routes });
  const ev = createRouterEvent();
  const out: Events = {
    n,
    app: [],
    method: [],
    path: [],
    service: new Float64Array(n),
    connect: new Float64Array(n),
    status: new Int32Array(n),
    bytes: new Float64Array(n),
    code: [],
  };
  let i = 0;
  while (i < n) {
    const g = gen();
    if (g.kind !== 'router') continue;
    const b = Buffer.from(g.line);
    if (!parseRouterEvent(b, 0, b.length, ev)) throw new Error(`unparsable line: ${g.line}`);
    out.app.push(ev.app);
    out.method.push(ev.method);
    out.path.push(ev.path);
    out.service[i] = ev.serviceMs;
    out.connect[i] = ev.connectMs;
    out.status[i] = ev.status;
    out.bytes[i] = ev.bytes;
    out.code.push(ev.code);
    i++;
  }
  return out;
}

function scenario(
  opts: RouteMemoryOptions,
  src: Events,
  templater: RouteTemplater,
  timestampOf: (i: number) => number,
): RouteMemoryScenario {
  const runtime = loadConfig({
    ROUTE_PATTERNS: opts.routePatterns,
    ALLOWED_LATENESS_SECONDS: String(10 * 365 * 86400),
  }).runtime;
  const ev = createRouterEvent();
  gc();
  const before = used();
  const agg = PartitionAggregator.fromConfig(runtime, { templater });
  let windows = 0;
  for (let f = 0; f < opts.flushes; f++) {
    for (let k = 0; k < opts.perFlush; k++) {
      const i = f * opts.perFlush + k;
      ev.timestampMs = timestampOf(i);
      ev.app = src.app[i]!;
      ev.method = src.method[i]!;
      ev.path = src.path[i]!;
      ev.serviceMs = src.service[i]!;
      ev.connectMs = src.connect[i]!;
      ev.status = src.status[i]!;
      ev.bytes = src.bytes[i]!;
      ev.code = src.code[i]!;
      agg.record(ev);
    }
    if (f < opts.flushes - 1) agg.drain();
    else windows = agg.openWindows;
  }
  gc();
  const grown = used() - before;
  const active = agg.activeRoutes;
  const result = {
    activeRoutes: active,
    windowsPerRoute: windows / active,
    bytesPerRoute: grown / active,
    estimatePerRoute: agg.memoryEstimateBytes / active,
  };
  agg.drain(); // keeps `agg` alive until after the measurement
  return result;
}

export function measureRouteMemory(opts: RouteMemoryOptions): RouteMemoryResult {
  const src = events(opts, opts.perFlush * opts.flushes);
  const runtime = loadConfig({ ROUTE_PATTERNS: opts.routePatterns }).runtime;
  const templater = new RouteTemplater({ patterns: runtime.routePatterns });
  // twice: the cache admits a path on its second sighting
  for (let r = 0; r < 2; r++) for (const p of src.path) templater.template(p);
  const start = Date.UTC(2026, 0, 1);
  const live = scenario(opts, src, templater, (i) => start + Math.floor(i / opts.perFlush) * 1000);
  const step = 1000 / opts.linesPerSecond;
  const catchUp = scenario(opts, src, templater, (i) => Math.floor(start + i * step));
  return { live, catchUp, templaterPaths: templater.cachedPaths };
}

const arg = process.argv[2];
if (arg !== undefined) process.stdout.write(`${JSON.stringify(measureRouteMemory(JSON.parse(arg)))}\n`);
