/**
 * Throughput of the route actors' hot path, on one core, against a reference
 * measured in the same run: a bare loop counting (app, path) in nested Maps.
 *
 * Setup: 400 000 router events for 5 apps × ~60 route templates (numeric ids,
 * hex ids, query strings), service times log-normal around 40 ms, connect 0..5
 * ms, in event-time order over 60 s. The parser hands the aggregator freshly cut
 * strings for every line, so both loops cut `app` and `path` out of a latin1
 * buffer per record (the same work in both, so the ratio isolates the actors).
 * One RouterEvent object is reused, as the runtime does.
 *
 * Also measured: heap bytes per active route (V8 heap growth after forced GC,
 * divided by routes, for routes that saw ~100 requests each), the aggregator's own
 * estimate, and the cost of a drain (encoding all deltas).
 *
 * Run: npx tsc -p . && node --expose-gc dist/bench/actors.js
 */
import { PartitionAggregator } from '../src/actors/partition-aggregator.js';
import { RouteTemplater } from '../src/actors/route-template.js';
import { createRouterEvent, type RouterEvent } from '../src/logplex/router-event.js';

const EVENTS = 400_000;
const START_MS = Date.UTC(2024, 0, 1);

interface Source {
  buffer: Buffer;
  /** per event: appStart, appEnd, pathStart, pathEnd */
  spans: Int32Array;
  methods: string[];
  service: Float64Array;
  connect: Float64Array;
  status: Int32Array;
  timestamps: Float64Array;
}

function build(): Source {
  let seed = 12345;
  const rnd = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x1_0000_0000;
  };
  const apps = ['shop', 'api', 'admin', 'blog', 'edge'].map((a) => `${a}-prod.herokuapp.com`);
  const shapes = [
    // ids are skewed (popular products and users come back), about half the raw paths repeat
    (r: () => number) => `/products/${Math.floor(r() ** 3 * 50_000)}`,
    (r: () => number) => `/users/${Math.floor(r() ** 3 * 1e5)}/orders/${Math.floor(r() * 1e4)}`,
    (r: () => number) => `/carts/f0${Math.floor(r() * 0xffffff).toString(16)}/items`,
    (r: () => number) => `/search?q=${Math.floor(r() * 1e6)}&page=${Math.floor(r() * 9)}`,
    () => '/',
    () => '/health',
  ];
  const parts: string[] = [];
  const spans = new Int32Array(EVENTS * 4);
  let offset = 0;
  const methods: string[] = [];
  const service = new Float64Array(EVENTS);
  const connect = new Float64Array(EVENTS);
  const status = new Int32Array(EVENTS);
  const timestamps = new Float64Array(EVENTS);
  for (let i = 0; i < EVENTS; i++) {
    const app = apps[Math.floor(rnd() * apps.length)]!;
    // ~60 templates per app: a shape plus a static prefix segment
    const path = `/v${Math.floor(rnd() * 10)}${shapes[Math.floor(rnd() * shapes.length)]!(rnd)}`;
    spans[i * 4] = offset;
    spans[i * 4 + 1] = offset + app.length;
    spans[i * 4 + 2] = offset + app.length;
    spans[i * 4 + 3] = offset + app.length + path.length;
    offset += app.length + path.length;
    parts.push(app, path);
    methods.push(rnd() < 0.8 ? 'GET' : 'POST');
    const normal = Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
    service[i] = Math.min(30_000, Math.max(1, Math.round(Math.exp(Math.log(40) + 1.1 * normal))));
    connect[i] = rnd() < 0.7 ? 0 : Math.floor(rnd() * 6);
    status[i] = rnd() < 0.97 ? 200 : 503;
    timestamps[i] = START_MS + Math.floor((i / EVENTS) * 60_000);
  }
  return {
    buffer: Buffer.from(parts.join(''), 'latin1'),
    spans,
    methods,
    service,
    connect,
    status,
    timestamps,
  };
}

function fill(src: Source, i: number, ev: RouterEvent): void {
  const s = src.spans;
  ev.app = src.buffer.toString('latin1', s[i * 4]!, s[i * 4 + 1]!);
  ev.path = src.buffer.toString('latin1', s[i * 4 + 2]!, s[i * 4 + 3]!);
  ev.method = src.methods[i]!;
  ev.timestampMs = src.timestamps[i]!;
  ev.serviceMs = src.service[i]!;
  ev.connectMs = src.connect[i]!;
  ev.status = src.status[i]!;
  ev.bytes = 512;
  ev.code = '';
}

function reference(src: Source, ev: RouterEvent): number {
  const counts = new Map<string, Map<string, number>>();
  const started = process.hrtime.bigint();
  for (let i = 0; i < EVENTS; i++) {
    fill(src, i, ev);
    let byPath = counts.get(ev.app);
    if (byPath === undefined) {
      byPath = new Map();
      counts.set(ev.app, byPath);
    }
    byPath.set(ev.path, (byPath.get(ev.path) ?? 0) + 1);
  }
  return Number(process.hrtime.bigint() - started) / EVENTS;
}

function actors(src: Source, ev: RouterEvent): { ns: number; drainMs: number; routes: number } {
  const agg = new PartitionAggregator({
    windowSeconds: 10,
    rollupSeconds: 60,
    allowedLatenessSeconds: 3600,
    routeCapPerApp: 500,
    clock: () => START_MS,
  });
  let drainMs = 0;
  let routes = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < EVENTS; i++) {
    fill(src, i, ev);
    agg.record(ev);
    if ((i + 1) % 50_000 === 0) {
      // a flush every 50k records (≈ every second at 50k rec/s), included in the time
      routes = Math.max(routes, agg.activeRoutes);
      const t = process.hrtime.bigint();
      agg.drain();
      drainMs = Math.max(drainMs, Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  return { ns: Number(process.hrtime.bigint() - started) / EVENTS, drainMs, routes };
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run with node --expose-gc');
  g();
  g();
}

function bytesPerRoute(): { heap: number; estimate: number } {
  const routes = 2000;
  const templater = new RouteTemplater();
  const ev = createRouterEvent();
  const paths = Array.from({ length: routes }, (_, r) => `/area${r}/items/1`);
  for (const p of paths) templater.template(p); // cache outside the measurement
  gc();
  const used = () => process.memoryUsage().heapUsed + process.memoryUsage().external; // counts arrays are external
  const before = used();
  const agg = new PartitionAggregator({
    windowSeconds: 10,
    rollupSeconds: 60,
    allowedLatenessSeconds: 3600,
    routeCapPerApp: routes,
    templater,
    clock: () => START_MS,
  });
  let seed = 7;
  for (let k = 0; k < 100; k++) {
    for (let r = 0; r < routes; r++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      ev.app = 'app.herokuapp.com';
      ev.method = 'GET';
      ev.path = paths[r]!;
      ev.timestampMs = START_MS + 1000;
      ev.serviceMs = 1 + (seed % 3000);
      ev.connectMs = seed % 4;
      ev.status = 200;
      ev.bytes = 100;
      agg.record(ev);
    }
  }
  gc();
  const heap = (used() - before) / agg.activeRoutes;
  return { heap, estimate: agg.memoryEstimateBytes / agg.activeRoutes };
}

const src = build();
const ev = createRouterEvent();
// warm up both loops so the JIT has settled before measuring
reference(src, ev);
actors(src, ev);
const refNs = Math.min(reference(src, ev), reference(src, ev), reference(src, ev));
const runs = [actors(src, ev), actors(src, ev), actors(src, ev)];
const best = runs.reduce((a, b) => (a.ns < b.ns ? a : b));
const mem = bytesPerRoute();
console.log(
  `actors: ${(1e3 / best.ns).toFixed(2)} M rec/s (${best.ns.toFixed(0)} ns/rec) vs Map-count reference ` +
    `${(1e3 / refNs).toFixed(2)} M rec/s (${refNs.toFixed(0)} ns/rec) = ${(best.ns / refNs).toFixed(1)}x the reference; ` +
    `${(mem.heap / 1024).toFixed(2)} KB/active route (heap; estimate ${(mem.estimate / 1024).toFixed(2)} KB); ` +
    `drain of ${best.routes} routes ${best.drainMs.toFixed(1)} ms`,
);
