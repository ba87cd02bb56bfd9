import fastifyCompress from '@fastify/compress';
import fastifyCors from '@fastify/cors';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { Counter, Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import { isRoutemeterError } from '../errors/routemeter-error.js';
import { resolutionsFromConfig } from '../query/choose-resolution.js';
import { mergeRouteFields } from '../query/merge-route-fields.js';
import type { MergeFn } from '../query/query-routes.js';
import { StepCache } from '../query/step-cache.js';
import type { RedisClient } from '../sinks/redis/redis-client.js';
import { createRedis } from '../sinks/redis/redis-client.js';
import type { Logger } from '../telemetry/logger.js';
import { withTimeout } from '../util/with-timeout.js';
import { type ApiPrincipal, createApiAuth } from './api-auth.js';
import { FRESHNESS_MS, registerApiRoutes } from './api-routes.js';
import { openApiDocument } from './openapi-document.js';
import { ResponseCache } from './response-cache.js';
import { publicDir, uplotDir } from './static-assets.js';

/**
 * `routemeter serve`: the read side for people, one process on $PORT (fastify).
 *
 *   GET /                        the dashboard (src/api/public, plain ES modules)
 *   GET /vendor/uplot/*          uPlot from node_modules, same-origin
 *   GET /api/v1/...              the JSON API (api-routes.ts), credentials required
 *   GET /api/v1/openapi.json     its OpenAPI document (no credentials)
 *   GET /healthz  /readyz        liveness; readiness = Redis answers
 *   GET /metrics                 the API's own Prometheus counters
 *
 * Why fastify: schema-free routing with official, maintained plugins for exactly
 * what this needs (compress, rate-limit, cors, static) and graceful close, so
 * none of it is ours to get wrong. Redis is read only.
 */
declare module 'fastify' {
  interface FastifyRequest {
    principal?: ApiPrincipal;
  }
}

export interface ApiHandle {
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

export interface StartApiOptions {
  /** overrides config.port (0 = any free port) */
  port?: number;
  host?: string;
  /** a client to use instead of one from config.redis.url (not closed by close()) */
  redis?: RedisClient;
  /** where merges run (a MergePool); inline when absent */
  merge?: MergeFn;
  now?: () => number;
}

const READY_TIMEOUT_MS = 2000;
const CLOSE_GRACE_MS = 10_000;

export async function startApi(
  config: Config,
  logger: Logger,
  options: StartApiOptions = {},
): Promise<ApiHandle> {
  const log = logger.child({ component: 'api' });
  const auth = createApiAuth(config.api); // refuses to serve open unless API_ALLOW_OPEN=true
  const ownRedis = options.redis === undefined;
  const redis =
    options.redis ??
    createRedis(config, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: 10_000 });
  redis.on('error', (err: Error) => log.debug({ event: 'api.redis_error', err: err.message }));
  if (ownRedis)
    await redis.connect().catch((err: Error) => log.warn({ err: err.message }, 'Redis unreachable at start'));

  const registry = new Registry();
  const requests = new Counter({
    name: 'routemeter_api_requests_total',
    help: 'API requests answered, by endpoint and status class',
    labelNames: ['endpoint', 'status_class'] as const,
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'routemeter_api_rejected_total',
    help: 'API requests refused before a query ran, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });

  // Heroku's router is the one proxy in front: trust its X-Forwarded-For for client ips.
  const app = Fastify({ trustProxy: true, bodyLimit: 16 * 1024, forceCloseConnections: 'idle' });
  await app.register(fastifyCompress, { global: true, encodings: ['gzip', 'deflate'], threshold: 1024 });
  if (config.api.corsOrigins.length > 0) {
    await app.register(fastifyCors, {
      origin: config.api.corsOrigins,
      methods: ['GET'],
      allowedHeaders: ['Authorization', 'If-None-Match'],
      exposedHeaders: ['ETag'],
    });
  }
  await app.register(fastifyRateLimit, {
    global: true,
    hook: 'preHandler',
    max: config.api.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => req.principal?.id ?? req.ip,
    allowList: (req) => !req.url.startsWith('/api/'),
    onExceeded: () => rejected.inc({ reason: 'rate_limited' }),
  });

  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/api/') || req.url.startsWith('/api/v1/openapi.json')) return;
    const result = auth(req.headers.authorization);
    if (!result.ok) {
      rejected.inc({ reason: result.reason });
      // A Basic challenge lets a browser ask a person for API_USERS credentials.
      if (config.api.users.length > 0)
        reply.header('www-authenticate', 'Basic realm="routemeter", charset="UTF-8"');
      return reply.code(401).send({
        error: {
          code: result.reason,
          message: 'credentials required: Authorization: Bearer <token> or Basic',
        },
      });
    }
    req.principal = result.principal;
  });
  app.addHook('onResponse', async (req, reply) => {
    const endpoint = req.routeOptions.url ?? 'unmatched';
    requests.inc({ endpoint, status_class: `${Math.floor(reply.statusCode / 100)}xx` });
  });
  app.setErrorHandler((err, req, reply) => {
    if (isRoutemeterError(err, 'RM_ERR_QUERY_PARAM')) {
      rejected.inc({ reason: 'bad_parameter' });
      return reply
        .code(400)
        .send({ error: { code: err.code, message: err.message, parameter: err.details?.parameter } });
    }
    if (isRoutemeterError(err) && err.canRetry) {
      log.warn({ err: err.message, url: req.url }, 'API query failed; Redis unavailable?');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ error: { code: err.code, message: err.message } });
    }
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) log.error({ err, url: req.url }, 'API request failed');
    const message = status >= 500 ? 'internal error' : (err as Error).message;
    return reply.code(status).send({ error: { code: (err as { code?: string }).code ?? 'error', message } });
  });

  const merge = options.merge ?? mergeRouteFields;
  registerApiRoutes(app, {
    redis,
    prefix: config.redis.prefix,
    routerTopic: config.topics.router,
    platformTopic: config.topics.platform,
    allowedLatenessSeconds: config.runtime.allowedLatenessSeconds,
    routeCapPerApp: config.runtime.routeCapPerApp,
    stepCache: new StepCache(),
    dynoStepCache: new StepCache(),
    resolutions: resolutionsFromConfig(config.runtime),
    merge,
    cache: new ResponseCache(FRESHNESS_MS),
    now: options.now ?? Date.now,
  });
  const document = openApiDocument();
  app.get('/api/v1/openapi.json', async () => document);
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await withTimeout(redis.ping(), READY_TIMEOUT_MS, 'redis ping');
      return { ok: true };
    } catch (err) {
      return reply.code(503).send({ ok: false, error: (err as Error).message });
    }
  });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  await app.register(fastifyStatic, { root: publicDir(), prefix: '/', index: 'index.html', maxAge: 60_000 });
  await app.register(fastifyStatic, {
    root: uplotDir(),
    prefix: '/vendor/uplot/',
    decorateReply: false,
    maxAge: 86_400_000,
  });

  await app.listen({ port: options.port ?? config.port, host: options.host ?? '0.0.0.0' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  log.info({ event: 'api.listening', port }, 'routemeter serve is up');
  return {
    port,
    app,
    close: async () => {
      // In-flight requests get CLOSE_GRACE_MS to finish; a client that stops reading a
      // response must not hold the process past Heroku's 30 s, so then every socket goes.
      const force = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
      try {
        await app.close();
      } finally {
        clearTimeout(force);
      }
      if (ownRedis) redis.disconnect();
    },
  };
}
