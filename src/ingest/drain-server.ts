import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Config, HotAppDetection } from '../config/config.js';
import type { RecordSlab } from '../kafka/record-slab.js';
import type { RedisClient } from '../sinks/redis/redis-client.js';
import { serveHealthRoute } from '../telemetry/health-routes.js';
import type { Logger } from '../telemetry/logger.js';
import { Admission } from './admission.js';
import { AuthThrottle } from './auth-throttle.js';
import { BatcherPool } from './batcher-pool.js';
import { DrainApps } from './drain-apps.js';
import { createDrainAuth } from './drain-auth.js';
import { connectDrainClients } from './drain-clients.js';
import { createIngestHandler } from './drain-ingest.js';
import { createDrainMetrics, type DrainMetrics } from './drain-metrics.js';
import { drainReadiness } from './drain-readiness.js';
import { DrainTokenApps } from './drain-token-apps.js';
import { FrameDedupe } from './frame-dedupe.js';
import { type HotAppChange, HotAppDetector } from './hot-app-detector.js';
import { HotAppKeys } from './hot-app-keys.js';

/**
 * `routemeter drain`: the HTTPS log drain endpoint logplex posts to (node:http, keep-alive).
 *
 *   POST <DRAIN_PATH>  logplex batches (drain-ingest.ts)
 *   GET  /healthz      liveness: the process serves HTTP
 *   GET  /readyz       readiness: lines can get into Kafka (drain-readiness.ts; Redis only degrades)
 *   GET  /metrics      Prometheus text of the registry passed in (unless serveMetrics=false)
 *
 * `close()` stops accepting, lets in-flight requests finish (their batches are
 * flushed to Kafka), then disconnects the producer and Redis: within the 30 s
 * Heroku allows after SIGTERM (bounded by SHUTDOWN_TIMEOUT_MS).
 */
export interface DrainHandle {
  port: number;
  close(): Promise<void>;
}

export interface StartDrainOptions {
  /** overrides `config.port` (0 = any free port, for tests) */
  port?: number;
  host?: string;
  /** serve `GET /metrics` from `registry` on the drain port (default true) */
  serveMetrics?: boolean;
  /** a Redis client to use instead of one made from `config.redis.url` (not closed by `close()`) */
  redis?: RedisClient;
  /**
   * connect every broker connection to this `host:port`, whatever the cluster metadata
   * advertises (a broker behind a TCP proxy; tests cut such a proxy to take Kafka away)
   */
  brokerRedirect?: string;
}

/** Slow clients: headers must arrive within 10 s and a whole request within 15 s (logplex gives up at 5 s). */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export async function startDrain(
  config: Config,
  logger: Logger,
  registry: Registry,
  options: StartDrainOptions = {},
): Promise<DrainHandle> {
  const drainLog = logger.child({ component: 'drain' });
  const auth = createDrainAuth(config.drain); // refuses an open drain unless DRAIN_ALLOW_OPEN=true
  const clients = await connectDrainClients(config, drainLog, options);
  const dedupe = new FrameDedupe({
    redis: clients.redis,
    prefix: config.redis.prefix,
    ttlSeconds: config.drain.dedupeTtlSeconds,
  });

  let closing = false;
  let batcher: BatcherPool<RecordSlab> | undefined;
  const admission = new Admission({
    maxInflight: config.drain.maxInflight,
    maxQueuedBytes: config.drain.queueMaxBytes,
    queuedBytes: () => batcher?.queuedBytes ?? 0,
  });
  const hotApps = new HotAppKeys(config.drain.hotApps, config.topics.partitions);
  let hotAppDetector: HotAppDetector | null = null;
  const metrics = createDrainMetrics(registry, {
    queuedBytes: () => batcher?.queuedBytes ?? 0,
    inflightRequests: () => admission.inflight,
    detectedHotApps: () => hotAppDetector?.hotCount ?? 0,
  });
  const detection = config.drain.hotAppDetection;
  if (detection !== null) {
    hotAppDetector = new HotAppDetector(
      {
        ...detection,
        isExcluded: (host) => hotApps.isNamed(host),
        onChange: (change) => onHotAppChange(change, hotApps, metrics, drainLog, detection),
      },
      Date.now(),
    );
  }
  batcher = new BatcherPool<RecordSlab>({
    sends: clients.producers.map((p) => p.send),
    lingerMs: config.drain.lingerMs,
    maxBatchBytes: config.drain.batchMaxBytes,
    maxQueuedBytes: config.drain.queueMaxBytes,
    onBatch: (b) => {
      const result = b.error === null ? 'acked' : 'failed';
      metrics.produceDuration.observe({ result }, b.durationMs / 1000);
      metrics.produceBatchRecords.observe(b.records);
    },
  });
  const throttle = new AuthThrottle({
    maxFailuresPerMinute: config.drain.authFailuresPerMinute,
    log: (summary) => drainLog.warn(summary, 'drain credentials refused (aggregated)'),
  });
  const ingest = createIngestHandler({
    logger: drainLog,
    metrics,
    auth,
    throttle,
    admission,
    apps: new DrainApps(config.drain.apps, config.drain.maxAppsPerDrain),
    hotApps,
    hotAppDetector,
    batcher,
    dedupe,
    tokenApps: new DrainTokenApps({
      configured: config.drain.tokenApps,
      redis: clients.redis,
      prefix: config.redis.prefix,
      ttlSeconds: config.drain.dedupeTtlSeconds,
      onRedisError: () => metrics.tokenAppErrors.inc(),
    }),
    platformTopic: config.topics.platform,
    appOutput: config.drain.appOutput,
    maxBodyBytes: config.drain.maxBodyBytes,
    discardMaxBytes: config.drain.discardMaxBytes,
    trustProxy: config.drain.trustProxy,
    produceTimeoutMs: config.drain.produceTimeoutMs,
    isClosing: () => closing,
  });
  const ready = drainReadiness({
    admin: clients.admin,
    redis: clients.redis,
    isClosing: () => closing,
    queueFull: () => (batcher?.queuedBytes ?? 0) >= config.drain.queueMaxBytes,
  });

  let requests = 0; // drain-path requests not yet answered (admitted or not)
  let idle: (() => void) | null = null;
  const serveMetrics = options.serveMetrics ?? true;
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const startedAt = performance.now();
    if (closing) res.setHeader('connection', 'close');
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path === config.drain.path) {
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST', connection: 'close' }).end();
        metrics.requests.inc({ status: '405' });
        drainLog.warn(
          { event: 'drain.rejected', reason: 'method', method: req.method },
          'drain path takes POST: 405',
        );
        return;
      }
      requests++;
      ingest(req, res, startedAt)
        .catch((err: unknown) => {
          drainLog.error({ event: 'drain.internal_error', err }, 'drain request failed: 500');
          if (!res.headersSent) res.writeHead(500, { connection: 'close' }).end();
          return 500;
        })
        .then((status) => {
          const label = status < 0 ? 'aborted' : String(status);
          metrics.requests.inc({ status: label });
          metrics.requestDuration.observe({ status: label }, (performance.now() - startedAt) / 1000);
          requests--;
          if (requests === 0 && idle) idle();
        });
      return;
    }
    if (serveHealthRoute(path, req, res, { ready })) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/metrics' && serveMetrics) {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: unknown) => {
          drainLog.error({ event: 'drain.metrics_failed', err });
          res.writeHead(500).end();
        },
      );
    } else {
      res.writeHead(404).end();
    }
  };

  const server: Server = createServer(
    {
      keepAlive: true,
      requestTimeout: REQUEST_TIMEOUT_MS,
      headersTimeout: HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: 1000,
    },
    handle,
  );
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Malformed HTTP, header/request timeouts: answer if the socket still can, never crash.
    drainLog.debug({ event: 'drain.client_error', code: err.code, err: err.message });
    if (socket.writable) {
      const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      // A client that never reads nor closes (slowloris) would keep the half-closed socket.
      setTimeout(() => socket.destroy(), 1000).unref();
    } else {
      socket.destroy();
    }
  });

  const port = options.port ?? config.port;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const boundPort = (server.address() as AddressInfo).port;
  drainLog.info(
    {
      event: 'drain.started',
      port: boundPort,
      path: config.drain.path,
      routerTopic: config.topics.router,
      platformTopic: config.topics.platform,
      compression: config.drain.compression,
      producerThreads: config.drain.producerThreads,
      auth: config.drain.users.length > 0 ? 'basic' : 'open',
      tokenAllowlist: config.drain.tokens.length,
      appMappings: config.drain.apps.size,
      maxAppsPerDrain: config.drain.maxAppsPerDrain,
      hotApps: Object.fromEntries(config.drain.hotApps),
      hotAppDetection: detection,
    },
    'drain listening',
  );

  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    if (closed) return closed;
    closing = true;
    const b = batcher;
    closed = (async () => {
      const deadline = Date.now() + config.runtime.shutdownTimeoutMs;
      const untilDeadline = () =>
        new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref());
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (requests > 0) {
        await Promise.race([
          new Promise<void>((resolve) => {
            idle = resolve;
          }),
          untilDeadline(),
        ]);
      }
      b.close();
      await Promise.race([b.flush(), untilDeadline()]);
      server.closeAllConnections();
      await serverClosed;
      dedupe.close();
      throttle.close();
      await clients.close(deadline - Date.now());
      drainLog.info({ event: 'drain.closed', inflightLeft: requests }, 'drain closed');
    })();
    return closed;
  };

  return { port: boundPort, close };
}

/** A detected hot app's key table goes in or out, logged and counted (hot-app-detector.ts). */
function onHotAppChange(
  change: HotAppChange,
  hotApps: HotAppKeys,
  metrics: DrainMetrics,
  log: Logger,
  detection: HotAppDetection,
): void {
  metrics.hotAppChanges.inc({ change: change.kind });
  const fields = {
    event: `drain.hot_app_${change.kind}`,
    app: change.app,
    share: Math.round(change.share * 1000) / 1000,
    linesPerSecond: Math.round(change.rate),
    shards: change.shards,
  };
  switch (change.kind) {
    case 'detected':
      hotApps.add(change.app, change.shards);
      log.info(
        { ...fields, holdSeconds: detection.holdMs / 1000 },
        `hot app: keyed host#s over ${change.shards} partitions from now on (this drain process)`,
      );
      return;
    case 'released':
      hotApps.delete(change.app);
      log.info(fields, 'hot app no longer hot for the hold time: keyed by host again');
      return;
    case 'capped':
      log.warn(fields, 'app is hot, but this drain already spreads the most apps it may: keyed by host');
      return;
  }
}
