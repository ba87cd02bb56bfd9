import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Admin, Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { redirectSocketFactory } from '../kafka/broker-redirect.js';
import { drainTopicNames, ensureTopics } from '../kafka/ensure-topics.js';
import { kafkaClientConfig } from '../kafka/kafka-client.js';
import { registerCodec } from '../kafka/kafka-codecs.js';
import { ProducerThread } from '../kafka/producer-thread.js';
import type { RecordSlab } from '../kafka/record-slab.js';
import { createRedis, type RedisClient } from '../sinks/redis/redis-client.js';
import { type Logger, redactUrl } from '../telemetry/logger.js';
import { withTimeout } from '../util/with-timeout.js';
import { createDrainAuth } from './drain-auth.js';
import { createIngestHandler } from './drain-ingest.js';
import { createDrainMetrics } from './drain-metrics.js';
import { FrameDedupe } from './frame-dedupe.js';
import { RecordBatcher } from './record-batcher.js';

/**
 * `routemeter drain`: the HTTPS log drain endpoint logplex posts to (node:http, keep-alive).
 *
 *   POST <DRAIN_PATH>  logplex batches (drain-ingest.ts)
 *   GET  /healthz      liveness: the process serves HTTP
 *   GET  /readyz       readiness: Kafka and Redis answer
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
const READY_CHECK_TIMEOUT_MS = 2000;

export async function startDrain(
  config: Config,
  logger: Logger,
  registry: Registry,
  options: StartDrainOptions = {},
): Promise<DrainHandle> {
  const drainLog = logger.child({ component: 'drain' });
  const auth = createDrainAuth(config.drain); // refuses an open drain unless DRAIN_ALLOW_OPEN=true
  registerCodec(config.drain.compression); // fails fast, in this thread, on a codec that cannot load
  const brokerRedirect = options.brokerRedirect ?? null;
  // A produce request must fail in time for the drain to answer logplex within 5 s.
  const requestTimeoutMs = Math.max(1000, config.drain.produceTimeoutMs);

  const kafka = new Kafka({
    ...kafkaClientConfig(config, 'routemeter-drain-admin'),
    requestTimeout: requestTimeoutMs,
    ...(brokerRedirect ? { socketFactory: redirectSocketFactory(brokerRedirect) } : {}),
  });
  const admin: Admin = kafka.admin();
  const producer = new ProducerThread(
    {
      kafka: config.kafka,
      brokerRedirect,
      compression: config.drain.compression,
      requestTimeoutMs,
      ackTimeoutMs: Math.max(500, config.drain.produceTimeoutMs - 500),
      routerTopic: config.topics.router,
      platformTopic: config.topics.platform,
    },
    drainLog,
  );
  try {
    await admin.connect();
    await ensureTopics(admin, drainTopicNames(config.topics), config.topics.partitions, drainLog);
    await producer.connect();
  } catch (err) {
    await producer.disconnect();
    await admin.disconnect().catch(() => {});
    throw new RoutemeterError(
      'RM_ERR_KAFKA_UNAVAILABLE',
      `drain could not reach Kafka: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }

  const ownRedis = options.redis === undefined;
  const redis =
    options.redis ??
    createRedis(config, {
      // The dedupe must answer well inside logplex's 5 s, or not at all.
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
      connectTimeout: 2000,
    });
  redis.on('error', (err: Error) => drainLog.debug({ event: 'drain.redis_error', err: err.message }));
  if (ownRedis) {
    await redis.connect().catch((err: Error) => {
      // Dedupe is best effort: the drain starts and fails open until Redis is back.
      drainLog.warn(
        { event: 'drain.redis_unavailable', url: redactUrl(config.redis.url), err: err.message },
        'Redis unreachable at start: batches are produced without frame-id dedupe until it is back',
      );
    });
  }
  const dedupe = new FrameDedupe({
    redis,
    prefix: config.redis.prefix,
    ttlSeconds: config.drain.dedupeTtlSeconds,
  });

  let batcher: RecordBatcher<RecordSlab>;
  const metrics = createDrainMetrics(registry, () => batcher?.queuedBytes ?? 0);
  batcher = new RecordBatcher<RecordSlab>({
    send: producer.send,
    lingerMs: config.drain.lingerMs,
    maxBatchBytes: config.drain.batchMaxBytes,
    maxQueuedBytes: config.drain.queueMaxBytes,
    onBatch: (b) => {
      const result = b.error === null ? 'acked' : 'failed';
      metrics.produceDuration.observe({ result }, b.durationMs / 1000);
      metrics.produceBatchRecords.observe(b.records);
    },
  });

  let closing = false;
  let inflight = 0;
  let idle: (() => void) | null = null;
  const ingest = createIngestHandler({
    logger: drainLog,
    metrics,
    auth,
    batcher,
    dedupe,
    platformTopic: config.topics.platform,
    appOutput: config.drain.appOutput,
    maxBodyBytes: config.drain.maxBodyBytes,
    produceTimeoutMs: config.drain.produceTimeoutMs,
    isClosing: () => closing,
  });

  const ready = async (): Promise<{ kafka: string; redis: string }> => {
    const [k, r] = await Promise.allSettled([
      withTimeout(
        admin.describeCluster().then((c) => `ok (${c.brokers.length} brokers)`),
        READY_CHECK_TIMEOUT_MS,
        'kafka',
      ),
      withTimeout(redis.ping(), READY_CHECK_TIMEOUT_MS, 'redis'),
    ]);
    return {
      kafka: k.status === 'fulfilled' ? k.value : `down: ${(k.reason as Error).message}`,
      redis: r.status === 'fulfilled' ? 'ok' : `down: ${(r.reason as Error).message}`,
    };
  };

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
      inflight++;
      ingest(req, res, startedAt)
        .catch((err: unknown) => {
          drainLog.error({ event: 'drain.internal_error', err }, 'drain request failed: 500');
          if (!res.headersSent) res.writeHead(500, { connection: 'close' }).end();
          return 500;
        })
        .then((status) => {
          metrics.requests.inc({ status: status < 0 ? 'aborted' : String(status) });
          inflight--;
          if (inflight === 0 && idle) idle();
        });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      ready().then(
        (r) => {
          const ok = r.kafka.startsWith('ok') && r.redis === 'ok' && !closing;
          res
            .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ...r, closing }));
        },
        () => res.writeHead(503).end(),
      );
    } else if (path === '/metrics' && serveMetrics) {
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
      auth: config.drain.users.length > 0 ? 'basic' : 'open',
      tokenAllowlist: config.drain.tokens.length,
    },
    'drain listening',
  );

  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    if (closed) return closed;
    closing = true;
    closed = (async () => {
      const deadline = Date.now() + config.runtime.shutdownTimeoutMs;
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inflight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => {
            idle = resolve;
          }),
          new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now()))),
        ]);
      }
      batcher.close();
      await Promise.race([
        batcher.flush(),
        new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now()))),
      ]);
      server.closeAllConnections();
      await serverClosed;
      dedupe.close();
      await producer.disconnect(Math.max(1000, deadline - Date.now()));
      await admin.disconnect().catch(() => {});
      if (ownRedis) await redis.quit().catch(() => redis.disconnect());
      drainLog.info({ event: 'drain.closed', inflightLeft: inflight }, 'drain closed');
    })();
    return closed;
  };

  return { port: boundPort, close };
}
