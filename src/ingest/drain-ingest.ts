import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRoutemeterError } from '../errors/routemeter-error.js';
import type { RecordSlab } from '../kafka/record-slab.js';
import type { Logger } from '../telemetry/logger.js';
import { type BatchRecords, buildBatchRecords } from './batch-records.js';
import type { DrainAuth } from './drain-auth.js';
import type { BatchFailureReason, DrainMetrics } from './drain-metrics.js';
import type { Claim, FrameDedupe } from './frame-dedupe.js';
import type { RecordBatcher } from './record-batcher.js';

/**
 * One logplex POST, from headers to answer:
 *
 *   closing? ─▶ 503          auth ─fail─▶ 401 (before the body is read; connection closed)
 *   Content-Type ≠ application/logplex-1 ─▶ 415     Content-Length or streamed bytes > max ─▶ 413
 *   read body ─▶ claim frame id (Redis) ─┬─ duplicate ─▶ 204, nothing produced
 *                                        ├─ in flight elsewhere (after a short wait) ─▶ 503
 *                                        └─ claimed / no frame id / Redis down (fail open)
 *   parse ─▶ records ─▶ batcher ─ack (acks=all)─▶ mark frame id done ─▶ 204
 *                              └─ Kafka down / queue full / deadline ─▶ release frame id ─▶ 503
 *
 * 4xx is only for what a retry cannot fix (logplex drops a batch on 4xx other than 429);
 * everything transient is 503, which logplex retries with the same frame id. The answer
 * comes within `produceTimeoutMs` of the request's start (logplex gives up at 5 s).
 */
export interface IngestDeps {
  logger: Logger;
  metrics: DrainMetrics;
  auth: DrainAuth;
  batcher: RecordBatcher<RecordSlab>;
  dedupe: FrameDedupe | null;
  platformTopic: string | null;
  appOutput: 'drop' | 'platform';
  maxBodyBytes: number;
  produceTimeoutMs: number;
  isClosing: () => boolean;
}

const CONTENT_TYPE = 'application/logplex-1';
/** Logplex frame ids are 32 hex characters; anything sane is accepted, the rest ignored. */
const FRAME_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** How long a retry waits for a concurrent attempt at the same frame id before answering 503. */
const MAX_CLAIM_WAIT_MS = 1500;

function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? '') : '';
}

function reply(res: ServerResponse, status: number, body = '', extra: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const headers: Record<string, string | number> = { ...extra };
  if (body.length > 0) {
    headers['content-type'] = 'text/plain; charset=utf-8';
    headers['content-length'] = Buffer.byteLength(body);
  }
  res.writeHead(status, headers);
  res.end(body);
}

type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'aborted' };

/** Reads the whole body, counting streamed bytes against the limit (chunked bodies have no Content-Length). */
function readBody(req: IncomingMessage, maxBytes: number, contentLength: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const preallocated = contentLength >= 0 ? Buffer.allocUnsafe(contentLength) : null;
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyResult) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('aborted', onAbort);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > maxBytes || (preallocated && size + chunk.length > preallocated.length)) {
        req.pause();
        finish({ ok: false, reason: 'too_large' });
        return;
      }
      if (preallocated) chunk.copy(preallocated, size);
      else chunks.push(chunk);
      size += chunk.length;
    };
    const onEnd = () => {
      if (preallocated)
        finish({
          ok: true,
          body: size === preallocated.length ? preallocated : preallocated.subarray(0, size),
        });
      // Always a copy: the body's memory is later transferred to the producer thread,
      // and socket chunks may share memory Node still uses.
      else finish({ ok: true, body: Buffer.concat(chunks, size) });
    };
    const onAbort = () => finish({ ok: false, reason: 'aborted' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('aborted', onAbort);
  });
}

export function createIngestHandler(deps: IngestDeps) {
  const { logger, metrics } = deps;

  const countLinesRejected = (n: number, reason: BatchFailureReason) => {
    if (n > 0) metrics.lines.inc({ result: 'rejected', reason }, n);
  };

  return async function ingest(
    req: IncomingMessage,
    res: ServerResponse,
    startedAt: number,
  ): Promise<number> {
    const receivedAtMs = Date.now();
    const deadline = startedAt + deps.produceTimeoutMs;
    const drainToken = header(req, 'logplex-drain-token');
    const log = { event: '', drain: drainToken, remote: req.socket.remoteAddress };

    if (deps.isClosing()) {
      logger.warn({ ...log, event: 'drain.rejected', reason: 'closing' }, 'drain is closing: 503');
      reply(res, 503, 'closing\n', { connection: 'close', 'retry-after': '1' });
      return 503;
    }
    const auth = deps.auth(req.headers);
    if (!auth.ok) {
      logger.warn({ ...log, event: 'drain.rejected', reason: auth.reason }, 'drain credentials refused: 401');
      reply(res, 401, 'unauthorized\n', {
        'www-authenticate': 'Basic realm="routemeter"',
        connection: 'close',
      });
      return 401;
    }
    const contentType = header(req, 'content-type');
    const semi = contentType.indexOf(';');
    const mediaType = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
    if (mediaType !== CONTENT_TYPE) {
      logger.warn(
        { ...log, event: 'drain.rejected', reason: 'content_type', contentType },
        'not logplex: 415',
      );
      reply(res, 415, `expected ${CONTENT_TYPE}\n`, { connection: 'close' });
      return 415;
    }
    const lengthHeader = header(req, 'content-length');
    const contentLength = lengthHeader === '' ? -1 : Number(lengthHeader);
    if (contentLength > deps.maxBodyBytes) {
      logger.warn(
        { ...log, event: 'drain.rejected', reason: 'too_large', contentLength },
        'body too large: 413',
      );
      reply(res, 413, `body larger than ${deps.maxBodyBytes} bytes\n`, { connection: 'close' });
      return 413;
    }

    const read = await readBody(
      req,
      deps.maxBodyBytes,
      Number.isSafeInteger(contentLength) ? contentLength : -1,
    );
    if (!read.ok) {
      if (read.reason === 'too_large') {
        logger.warn(
          { ...log, event: 'drain.rejected', reason: 'too_large', streamed: true },
          'body too large: 413',
        );
        reply(res, 413, `body larger than ${deps.maxBodyBytes} bytes\n`, { connection: 'close' });
        return 413;
      }
      logger.warn(
        { ...log, event: 'drain.rejected', reason: 'aborted' },
        'client went away before the body ended',
      );
      return -1;
    }
    const body = read.body;
    metrics.bytes.inc(body.length);

    // Dedupe: claim the frame id before producing (see frame-dedupe.ts for the protocol).
    const frameId = header(req, 'logplex-frame-id');
    let claim: Claim | null = null;
    if (deps.dedupe && FRAME_ID.test(frameId)) {
      const waitMs = Math.max(0, Math.min(MAX_CLAIM_WAIT_MS, deadline - performance.now() - 500));
      const r = await deps.dedupe.claim(drainToken, frameId, waitMs);
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
        drainToken,
        frameId,
        receivedAtMs,
        appOutput: deps.appOutput,
        platformTopic: deps.platformTopic !== null,
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
    countBatch(deps, records, header(req, 'logplex-msg-count'), log, frameId);

    // From here the body belongs to the producer thread (its memory is transferred).
    const accepted = records.routerCount + records.platformCount;
    const ticket = deps.batcher.submit(records.slab, accepted, records.recordBytes);

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
    countLinesRejected(accepted, reason);
    logger.warn(
      { ...log, event: 'drain.rejected', reason, frameId, lines: accepted, err: (outcome as Error)?.message },
      `batch not produced (${reason}): 503`,
    );
    reply(res, 503, `${reason}\n`, { 'retry-after': '1' });
    return 503;
  };
}

/** Per-batch counting of what the parsers saw (one `inc` per label, never per line). */
function countBatch(
  deps: IngestDeps,
  records: BatchRecords,
  msgCountHeader: string,
  log: Record<string, unknown>,
  frameId: string,
): void {
  const { metrics, logger } = deps;
  let rejected = 0;
  for (const [reason, n] of Object.entries(records.rejected)) {
    if (n > 0) {
      metrics.lines.inc({ result: 'rejected', reason }, n);
      rejected += n;
    }
  }
  const f = records.framing;
  if (f.repaired > 0) metrics.framesRepaired.inc(f.repaired);
  if (f.garbageBytes > 0) metrics.garbageBytes.inc(f.garbageBytes);
  if (records.upstreamDropped > 0) {
    metrics.upstreamDropped.inc(
      { drain: metrics.drainLabel(String(log.drain) || 'unknown') },
      records.upstreamDropped,
    );
    logger.warn(
      { ...log, event: 'drain.upstream_dropped', dropped: records.upstreamDropped },
      'logplex reports messages dropped before this drain (L10)',
    );
  }
  const declared = msgCountHeader === '' ? -1 : Number(msgCountHeader);
  const mismatch = declared >= 0 && declared !== f.frames;
  if (mismatch) metrics.msgCountMismatch.inc();
  const unreadable = records.rejected.bad_header + records.rejected.router_no_host;
  if (unreadable > 0 || f.repaired > 0 || f.garbageBytes > 0 || mismatch || rejected > 0) {
    // Lines dropped by policy alone (app output, platform topic off) are logged at debug.
    const level = unreadable > 0 || f.repaired > 0 || f.garbageBytes > 0 || mismatch ? 'warn' : 'debug';
    logger[level](
      {
        ...log,
        event: 'drain.lines_rejected',
        frameId,
        msgCount: declared,
        frames: f.frames,
        repaired: f.repaired,
        garbageBytes: f.garbageBytes,
        rejected: records.rejected,
      },
      'batch partly unreadable or filtered; every line that parsed is kept',
    );
  }
}
