import type { Prng } from './prng.js';

/**
 * The apps and routes the generator pretends to serve, built from a seed.
 *
 * A route is a template such as `/api/v2/orders/:uuid/items/:id`; each request
 * fills the placeholders with fresh ids, so many distinct paths template back to
 * one route (what the runtime's route templating has to discover):
 *
 *   /api/v2/orders/3f1c…-…/items/8812    /api/v2/orders/a07b…-…/items/17   → one route
 *
 * Each route has its own latency distribution (lognormal around a median drawn per
 * route) and error rates, so that the aggregated metrics have shape.
 */
export type ParamKind = 'id' | 'uuid' | 'slug' | 'hex' | 'date';

export interface RouteShape {
  method: string;
  /** the template, e.g. `/api/v2/orders/:uuid/items/:id` */
  template: string;
  /** literal segments and placeholders, in order */
  segments: Array<{ literal: string } | { param: ParamKind }>;
  /** median service time, ms */
  medianMs: number;
  /** lognormal sigma of the service time */
  sigma: number;
  /** share of requests answered with a 4xx */
  clientErrorRate: number;
  /** share answered with a 500 */
  serverErrorRate: number;
  /** typical response size, bytes */
  bytes: number;
  /** GET routes sometimes carry a query string */
  query: boolean;
}

export interface AppShape {
  /** the Host header, used by the router as `host=` */
  host: string;
  /** dynos of the web process: `web.1` … `web.N` */
  dynos: number;
  routes: RouteShape[];
}

const ADJECTIVES = [
  'infinite',
  'lumber',
  'quiet',
  'rapid',
  'shiny',
  'frozen',
  'ancient',
  'bold',
  'calm',
  'damp',
  'eager',
  'fancy',
  'gentle',
  'hidden',
  'icy',
  'jolly',
  'keen',
  'lively',
  'mighty',
  'noble',
  'odd',
  'proud',
];
const NOUNS = [
  'bayou',
  'store',
  'river',
  'meadow',
  'falcon',
  'harbor',
  'canyon',
  'forest',
  'glacier',
  'island',
  'jungle',
  'lagoon',
  'mesa',
  'oasis',
  'prairie',
  'reef',
  'summit',
  'tundra',
  'valley',
  'wave',
];
const RESOURCES = [
  'users',
  'orders',
  'products',
  'carts',
  'invoices',
  'payments',
  'sessions',
  'accounts',
  'projects',
  'teams',
  'comments',
  'posts',
  'images',
  'files',
  'reports',
  'events',
  'tickets',
  'subscriptions',
  'webhooks',
  'notifications',
  'recipes',
  'articles',
  'videos',
  'playlists',
  'devices',
  'locations',
];
const SUBRESOURCES = ['items', 'members', 'comments', 'history', 'settings', 'attachments', 'likes', 'tags'];
const ACTIONS = ['search', 'export', 'preview', 'refresh', 'archive', 'publish', 'share', 'download'];
const STATIC = [
  '/',
  '/health',
  '/login',
  '/logout',
  '/signup',
  '/pricing',
  '/about',
  '/cart_link',
  '/favicon.ico',
];
const PARAMS: ParamKind[] = ['id', 'id', 'id', 'uuid', 'uuid', 'slug', 'hex', 'date'];

function lognormalMedian(rng: Prng): number {
  // Medians between ~3 ms and ~2 s, most around 30–80 ms.
  return Math.max(1, Math.round(Math.exp(Math.log(40) + 1.1 * rng.normal())));
}

function makeRoute(rng: Prng, prefix: string): RouteShape {
  const segments: RouteShape['segments'] = [];
  let method = 'GET';
  if (rng.chance(0.08)) {
    for (const part of rng.pick(STATIC).split('/').filter(Boolean)) segments.push({ literal: part });
  } else {
    for (const part of prefix.split('/').filter(Boolean)) segments.push({ literal: part });
    segments.push({ literal: rng.pick(RESOURCES) });
    const depth = rng.int(4);
    if (depth >= 1) segments.push({ param: rng.pick(PARAMS) });
    if (depth >= 2) segments.push({ literal: rng.chance(0.7) ? rng.pick(SUBRESOURCES) : rng.pick(ACTIONS) });
    if (depth >= 3) segments.push({ param: rng.pick(PARAMS) });
    const r = rng.next();
    method = r < 0.65 ? 'GET' : r < 0.82 ? 'POST' : r < 0.9 ? 'PUT' : r < 0.96 ? 'PATCH' : 'DELETE';
  }
  const template = '/' + segments.map((s) => ('literal' in s ? s.literal : `:${s.param}`)).join('/') || '/';
  const slow = rng.chance(0.05);
  return {
    method,
    template,
    segments,
    medianMs: slow ? lognormalMedian(rng) * 10 : lognormalMedian(rng),
    sigma: 0.4 + rng.next() * 0.7,
    clientErrorRate: rng.next() * 0.04,
    serverErrorRate: rng.chance(0.1) ? rng.next() * 0.03 : rng.next() * 0.003,
    bytes: Math.round(Math.exp(Math.log(2000) + 1.2 * rng.normal())),
    query: method === 'GET' && rng.chance(0.25),
  };
}

/** `apps` apps with `routesPerApp` distinct routes each (templates are unique within an app). */
export function buildCatalog(rng: Prng, apps: number, routesPerApp: number): AppShape[] {
  const out: AppShape[] = [];
  const hosts = new Set<string>();
  while (out.length < apps) {
    const host = `${rng.pick(ADJECTIVES)}-${rng.pick(NOUNS)}-${10000 + rng.int(90000)}.herokuapp.com`;
    if (hosts.has(host)) continue;
    hosts.add(host);
    const prefix = rng.pick(['', '', '/api', '/api/v1', '/api/v2', '/v3']);
    const routes: RouteShape[] = [];
    const seen = new Set<string>();
    let attempts = 0;
    while (routes.length < routesPerApp && attempts < routesPerApp * 50) {
      attempts++;
      const r = makeRoute(rng, prefix);
      const key = `${r.method} ${r.template}`;
      if (seen.has(key)) continue;
      seen.add(key);
      routes.push(r);
    }
    out.push({ host, dynos: 1 + rng.int(8), routes });
  }
  return out;
}
