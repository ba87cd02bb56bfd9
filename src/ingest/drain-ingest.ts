import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRoutemeterError } from '../errors/routemeter-error.js';
import type { RecordSlab } from '../kafka/record-slab.js';
import type { Logger } from '../telemetry/logger.js';
import type { Admission } from './admission.js';
import type { AuthThrottle } from './auth-throttle.js';
import { type BatchRecords, buildBatchRecords } from './batch-records.js';
import type { BatcherPool } from './batcher-pool.js';
import { readBody } from './body-reader.js';
import { countBatch } from './count-batch.js';
import type { DrainApps } from './drain-apps.js';
import type { DrainAuth } from './drain-auth.js';
import type { BatchFailureReason, DrainMetrics } from './drain-metrics.js';
import { clientAddress, preflight } from './drain-preflight.js';
import { answerRefusal, header, reply } from './drain-reply.js';
import type { DrainTokenApps } from './drain-token-apps.js';
import type { Claim, FrameDedupe } from './frame-dedupe.js';
import type { HotAppDetector } from './hot-app-detector.js';
import type { HotAppKeys } from './hot-app-keys.js';

/**
 * One logplex POST, from headers to answer:
 *
 *   preflight (drain-preflight.ts): closing, throttle, auth, content type/encoding, size, admission
 *     └─ refused ─▶ read and drop the body (bounded) ─▶ 4xx/503          (drain-reply.ts)
 *   read body (body-reader.ts) ─over the limit─▶ drop the rest ─▶ 413
 *   claim frame id (Redis) ─┬─ duplicate ─▶ 204, nothing produced
 *                           ├─ in flight elsewhere (after a short wait) ─▶ 503
 *                           └─ claimed / no frame id / Redis down (fail open, counted)
 *   parse ─▶ records (apps outside DRAIN_APPS refused per line) ─▶ the app of the token's
 *     platform lines (drain-token-apps.ts: DRAIN_TOKEN_APPS, or learned) ─▶ batcher ─ack (acks=all)─▶
 *     mark frame id done ─▶ 204
 *                           └─ Kafka down / queue full / deadline ─▶ release frame id ─▶ 503
 *
 * 4xx is only for what a retry cannot fix (logplex drops a batch on 4xx other than 429);
 * everything transient is 503, which logplex retries with the same frame id. The answer
 * comes within `produceTimeoutMs` of the request's start (logplex gives up at 5 s).
 */
export interface IngestDeps {
  logger: Logger;
  metrics: DrainMetrics;
  auth: DrainAuth;
  throttle: AuthThrottle;
  admission: Admission;
  apps: DrainApps;
  /** hot apps' key tables: DRAIN_HOT_APPS, and the detected ones (absent = none) */
  hotApps?: HotAppKeys;
  /** counts router records per app and decides which are hot (absent = detection off) */
  hotAppDetector?: HotAppDetector | null;
  batcher: BatcherPool<RecordSlab>;
  dedupe: FrameDedupe | null;
  /** the app of each drain token's platform lines (the `app` header); null: no header */
  tokenApps?: DrainTokenApps | null;
  platformTopic: string | null;
  appOutput: 'drop' | 'platform';
  maxBodyBytes: number;
  discardMaxBytes: number;
  trustProxy: boolean;
  produceTimeoutMs: number;
  isClosing: () => boolean;
}

/** Logplex frame ids are 32 hex characters; anything sane is accepted, the rest ignored. */
const FRAME_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** How long a retry waits for a concurrent attempt at the same frame id before answering 503. */
const MAX_CLAIM_WAIT_MS = 1500;

type LogFields = { event: string; drain: string; remote: string };

export function createIngestHandler(deps: IngestDeps) {
  const { logger } = deps;

  /** the status answered, or -1 when the client went away first */
  return async function ingest(
    req: IncomingMessage,
    res: ServerResponse,
    startedAt: number,
  ): Promise<number> {
    const receivedAtMs = Date.now();
    const address = clientAddress(req, deps.trustProxy);
    const log: LogFields = { event: '', drain: header(req, 'logplex-drain-token'), remote: address };

    const pre = preflight(req, deps, address);
    if (!pre.ok) {
      const { refusal } = pre;
      // Auth failures are logged in aggregate by the throttle, not one line per request.
      if (refusal.status !== 401 && refusal.status !== 429) {
        logger.warn(
          { ...log, event: 'drain.rejected', reason: refusal.reason },
          `refused: ${refusal.status}`,
        );
      }
      await answerRefusal(req, res, refusal, deps.discardMaxBytes);
      return refusal.status;
    }
    const { admitted } = pre;
    try {
      const read = await readBody(
        req,
        deps.maxBodyBytes,
        Number.isSafeInteger(pre.contentLength) ? pre.contentLength : -1,
      );
      if (!read.ok) {
        if (read.reason === 'aborted') {
          logger.warn(
            { ...log, event: 'drain.rejected', reason: 'aborted' },
            'client went away before the body ended',
          );
          return -1;
        }
        logger.warn(
          { ...log, event: 'drain.rejected', reason: 'too_large', streamed: true },
          'body too large: 413',
        );
        const refusal = {
          status: 413,
          reason: 'too_large',
          text: `body larger than ${deps.maxBodyBytes} bytes\n`,
          close: true,
        };
        await answerRefusal(req, res, refusal, deps.discardMaxBytes, read.received);
        return 413;
      }
      deps.metrics.bytes.inc(read.body.length);
      return await produceBody(read.body, req, res, {
        log,
        user: pre.user,
        receivedAtMs,
        deadline: startedAt + deps.produceTimeoutMs,
        handedOver: admitted.handedOver,
      });
    } finally {
      admitted.release();
    }
  };

  async function produceBody(
    body: Buffer,
    req: IncomingMessage,
    res: ServerResponse,
    ctx: {
      log: LogFields;
      user: string | null;
      receivedAtMs: number;
      deadline: number;
      handedOver: () => void;
    },
  ): Promise<number> {
    const { log, deadline } = ctx;
    const { metrics } = deps;
    // Dedupe: claim the frame id before producing (see frame-dedupe.ts for the protocol).
    const frameId = header(req, 'logplex-frame-id');
    let claim: Claim | null = null;
    if (deps.dedupe && FRAME_ID.test(frameId)) {
      const waitMs = Math.max(0, Math.min(MAX_CLAIM_WAIT_MS, deadline - performance.now() - 500));
      const r = await deps.dedupe.claim(log.drain, frameId, waitMs);
      if (r.state === 'duplicate') {
        metrics.dedupeHits.inc();
        logger.info({ ...log, event: 'drain.duplicate', frameId }, 'frame id already produced: 204');
        reply(res, 204);
        return 204;
      }
      if (r.state === 'in_flight') {
        logger.warn(
          { ...log, event: 'drain.rejected', reason: 'in_flight', frameId },
          'same frame id in flight: 503',
        );
        reply(res, 503, 'same batch in flight\n', { 'retry-after': '1' });
        return 503;
      }
      if (r.state === 'unavailable') {
        // Redis down degrades dedupe, never ingest: produce without it, counted.
        metrics.dedupeErrors.inc();
        logger.warn(
          { ...log, event: 'drain.dedupe_unavailable', err: (r.error as Error)?.message },
          'Redis unreachable: producing without dedupe',
        );
      } else {
        claim = r.claim;
      }
    }
    const releaseClaim = () => {
      claim?.release().catch((err: unknown) => {
        logger.warn({ ...log, event: 'drain.dedupe_release_failed', err: (err as Error).message, frameId });
      });
    };

    let records: BatchRecords;
    try {
      records = buildBatchRecords(body, {
        drainToken: log.drain,
        frameId,
        receivedAtMs: ctx.receivedAtMs,
        appOutput: deps.appOutput,
        platformTopic: deps.platformTopic !== null,
        appCheck: deps.apps.forRequest(ctx.user, log.drain),
        hotApps: deps.hotApps ?? null,
        appTally: deps.hotAppDetector ?? null,
      });
    } catch (err) {
      // The parsers never throw; reaching this is a bug, logged with the body size to reproduce it.
      releaseClaim();
      logger.error(
        { ...log, event: 'drain.internal_error', err, bytes: body.length },
        'batch could not be read: 500',
      );
      reply(res, 500, 'internal error\n');
      return 500;
    }
    // After the request's parse, never inside it: a request's lines of one app keep one key table.
    deps.hotAppDetector?.tick(Date.now());
    countBatch(deps, records, header(req, 'logplex-msg-count'), log, frameId);
    if (deps.tokenApps && (records.platformCount > 0 || records.routerHost !== null)) {
      // Platform lines name no app: stamp the drain token's (at most one bounded GET).
      const { app, source } = await deps.tokenApps.resolve(
        log.drain,
        records.routerHost,
        records.platformCount > 0,
      );
      if (app !== '') records.slab.app = app;
      if (records.platformCount > 0) metrics.platformApps.inc({ source }, records.platformCount);
    }

    // From here the body belongs to the producer thread (its memory is transferred).
    const accepted = records.routerCount + records.platformCount;
    const ticket = deps.batcher.submit(records.slab, accepted, records.recordBytes);
    ctx.handedOver();

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - performance.now()));
    });
    let outcome: 'ok' | 'timeout' | unknown;
    try {
      outcome = await Promise.race([ticket.done.then(() => 'ok' as const), timeout]);
    } catch (err) {
      outcome = err;
    } finally {
      clearTimeout(timer);
    }

    if (outcome === 'ok') {
      if (claim) {
        await claim.commit().catch((err: unknown) => {
          metrics.dedupeErrors.inc();
          logger.warn({ ...log, event: 'drain.dedupe_commit_failed', err: (err as Error).message, frameId });
        });
      }
      if (records.routerCount > 0)
        metrics.lines.inc({ result: 'accepted', reason: 'router' }, records.routerCount);
      if (records.platformCount > 0) {
        metrics.lines.inc({ result: 'accepted', reason: 'platform' }, records.platformCount);
      }
      reply(res, 204);
      return 204;
    }

    let reason: BatchFailureReason;
    if (outcome === 'timeout') {
      reason = 'timeout';
      if (ticket.cancel()) {
        releaseClaim();
      } else {
        // Already handed to the producer: its outcome decides what a retry will find.
        ticket.done.then(
          () => {
            metrics.lateOutcomes.inc({ result: 'acked' });
            claim?.commit().catch(() => metrics.dedupeErrors.inc());
          },
          () => {
            metrics.lateOutcomes.inc({ result: 'failed' });
            releaseClaim();
          },
        );
      }
    } else {
      releaseClaim();
      reason = isRoutemeterError(outcome, 'RM_ERR_PRODUCER_SATURATED')
        ? 'saturated'
        : isRoutemeterError(outcome, 'RM_ERR_DRAIN_CLOSING')
          ? 'closing'
          : 'kafka_unavailable';
    }
    if (accepted > 0) metrics.lines.inc({ result: 'rejected', reason }, accepted);
    logger.warn(
      { ...log, event: 'drain.rejected', reason, frameId, lines: accepted, err: (outcome as Error)?.message },
      `batch not produced (${reason}): 503`,
    );
    reply(res, 503, `${reason}\n`, { 'retry-after': '1' });
    return 503;
  }
}
