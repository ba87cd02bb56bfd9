import { createRouterEvent, type RouterEvent } from '../../src/logplex/router-event.js';

/** Test fixtures: deterministic router events (not a test file itself). */
export function event(fields: Partial<RouterEvent>): RouterEvent {
  return {
    ...createRouterEvent(),
    app: 'app.example.com',
    method: 'GET',
    path: '/',
    status: 200,
    serviceMs: 10,
    connectMs: 1,
    bytes: 100,
    ...fields,
  };
}

/** xorshift32, so every run (and every replay inside a test) sees the same stream */
export function seededRandom(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

export const PATHS: Array<[raw: string, template: string]> = [
  ['/', '/'],
  ['/users/%ID%', '/users/:id'],
  ['/users/%ID%/orders/%HEX%?page=2', '/users/:id/orders/:hex'],
  ['/api/search?q=x', '/api/search'],
  ['/sessions/%UUID%', '/sessions/:uuid'],
  ['/assets/app.js', '/assets/app.js'],
];

export interface Generated {
  events: RouterEvent[];
  /** the route each event is expected under */
  routes: string[];
}

/** Realistic-ish router events over `spanMs` of event time, slightly out of order. */
export function generateEvents(count: number, startMs: number, spanMs: number, seed = 7): Generated {
  const rnd = seededRandom(seed);
  const events: RouterEvent[] = [];
  const routes: string[] = [];
  const apps = ['shop.example.com', 'api.example.com'];
  const methods = ['GET', 'GET', 'GET', 'POST'];
  for (let i = 0; i < count; i++) {
    const [raw, template] = PATHS[Math.floor(rnd() * PATHS.length)]!;
    const path = raw
      .replace('%ID%', String(Math.floor(rnd() * 100_000)))
      .replace(
        '%HEX%',
        `f0${Math.floor(rnd() * 0xffffff)
          .toString(16)
          .padStart(6, '0')}`,
      )
      .replace('%UUID%', '1850b395-c7aa-485c-aa04-7d0894b5f276');
    const method = methods[Math.floor(rnd() * methods.length)]!;
    const r = rnd();
    const status = r < 0.85 ? 200 : r < 0.9 ? 304 : r < 0.95 ? 404 : 503;
    const errorLine = status === 503 && rnd() < 0.5;
    const normal = Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
    const service = errorLine ? -1 : Math.min(30_000, Math.max(0, Math.round(Math.exp(3.5 + 1.3 * normal))));
    // mostly in order, sometimes a little behind (as with several dynos/routers)
    const ts = startMs + Math.floor((i / count) * spanMs) - (rnd() < 0.1 ? Math.floor(rnd() * 5000) : 0);
    events.push(
      event({
        timestampMs: ts,
        app: apps[Math.floor(rnd() * apps.length)]!,
        method,
        path,
        status,
        serviceMs: service,
        connectMs: errorLine ? -1 : rnd() < 0.7 ? 0 : Math.floor(rnd() * 5),
        bytes: errorLine ? -1 : Math.floor(rnd() * 5000),
        code: errorLine ? 'H12' : '',
      }),
    );
    routes.push(`${method} ${template}`);
  }
  return { events, routes };
}
