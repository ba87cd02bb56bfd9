/**
 * Router lines with an independent oracle, for the runtime's exactness tests.
 * The generator is deliberately separate from `src/gen/` (which the drain uses)
 * and knows each line's route template itself, so the expected numbers never
 * come from the code under test.
 */
export interface OracleLine {
  line: string;
  app: string;
  method: string;
  /** the expected route template, e.g. "GET /users/:id" */
  route: string;
  serviceMs: number;
  connectMs: number;
  status: number;
  timestampMs: number;
}

/** Mulberry32: small, seeded, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Shape {
  method: string;
  /** builds the raw path from a random source */
  path: (r: () => number) => string;
  route: string;
}

const SHAPES: Shape[] = [
  { method: 'GET', path: () => '/', route: 'GET /' },
  { method: 'GET', path: (r) => `/users/${1 + Math.floor(r() * 100000)}`, route: 'GET /users/:id' },
  {
    method: 'GET',
    path: (r) => `/users/${1 + Math.floor(r() * 1000)}/orders`,
    route: 'GET /users/:id/orders',
  },
  { method: 'POST', path: () => '/api/v1/checkout', route: 'POST /api/v1/checkout' },
  {
    method: 'GET',
    path: (r) => `/search?q=${Math.floor(r() * 1e6)}&page=${Math.floor(r() * 9)}`,
    route: 'GET /search',
  },
  {
    method: 'GET',
    path: (r) => `/orders/${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`,
    route: 'GET /orders/:uuid',
  },
  { method: 'DELETE', path: (r) => `/sessions/${1 + Math.floor(r() * 50)}`, route: 'DELETE /sessions/:id' },
  { method: 'GET', path: () => '/assets/app.css', route: 'GET /assets/app.css' },
];

function hex(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
  return s;
}

export interface LineOptions {
  seed?: number;
  apps?: number;
  startMs?: number;
  /** event-time spacing between consecutive lines */
  stepMs?: number;
}

export function makeRouterLines(count: number, opts: LineOptions = {}): OracleLine[] {
  const r = prng(opts.seed ?? 42);
  const apps = opts.apps ?? 5;
  const start = opts.startMs ?? Date.UTC(2026, 0, 1, 0, 0, 0);
  const step = opts.stepMs ?? 3;
  const out: OracleLine[] = [];
  for (let i = 0; i < count; i++) {
    const app = `app-${Math.floor(r() * apps)}.herokuapp.com`;
    const shape = SHAPES[Math.floor(r() * r() * SHAPES.length)]!; // skewed towards the first shapes
    const path = shape.path(r);
    const timestampMs = start + i * step;
    const error = r() < 0.02;
    const serviceMs = error ? 30000 : Math.max(0, Math.round(Math.exp(2 + r() * 4)));
    const connectMs = Math.floor(r() * 3);
    const status = error ? 503 : r() < 0.05 ? 404 : r() < 0.03 ? 500 : 200;
    const ts = new Date(timestampMs).toISOString().replace('Z', '000+00:00');
    const quotedPath = path.includes('?') ? `"${path}"` : path;
    const msg = error
      ? `at=error code=H12 desc="Request timeout" method=${shape.method} path=${quotedPath} host=${app} request_id=${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)} fwd="10.1.${i % 250}.7" dyno=web.1 connect=${connectMs}ms service=${serviceMs}ms status=${status} bytes=0 protocol=https`
      : `at=info method=${shape.method} path=${quotedPath} host=${app} request_id=${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)} fwd="10.1.${i % 250}.7" dyno=web.${1 + (i % 3)} connect=${connectMs}ms service=${serviceMs}ms status=${status} bytes=${100 + Math.floor(r() * 5000)} protocol=https`;
    const line = `<158>1 ${ts} host heroku router - ${msg}`;
    out.push({
      line,
      app,
      method: shape.method,
      route: shape.route,
      serviceMs,
      connectMs,
      status,
      timestampMs,
    });
  }
  return out;
}

export interface OracleStats {
  count: number;
  serviceSumMs: number;
  maxMs: number;
  sorted: number[];
  status5xx: number;
}

/** Exact per-(app, route) numbers. */
export function oracle(lines: OracleLine[]): Map<string, OracleStats> {
  const m = new Map<string, OracleStats>();
  for (const l of lines) {
    const key = `${l.app} ${l.route}`;
    let s = m.get(key);
    if (!s) {
      s = { count: 0, serviceSumMs: 0, maxMs: 0, sorted: [], status5xx: 0 };
      m.set(key, s);
    }
    s.count++;
    s.serviceSumMs += l.serviceMs;
    s.maxMs = Math.max(s.maxMs, l.serviceMs);
    s.sorted.push(l.serviceMs);
    if (l.status >= 500) s.status5xx++;
  }
  for (const s of m.values()) s.sorted.sort((a, b) => a - b);
  return m;
}

/** The exact quantile by HDR's definition: the smallest value with at least q of the values at or below it. */
export function exactQuantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((q / 100) * sorted.length));
  return sorted[rank - 1]!;
}
