import type { IHeaders, Message } from 'kafkajs';
import { parseL10Dropped } from './l10-overflow.js';
import { classifyLine, LineKind } from './line-kind.js';
import { createFramingStats, type FramingStats, scanFrames } from './logplex-framing.js';
import { findRouterHost } from './router-line.js';
import { createSyslogHeader, parseSyslogHeader } from './syslog-header.js';

/**
 * One drain request body → the Kafka records it becomes (docs/kafka-records.md):
 *
 *   body ──scanFrames──▶ line ──parseSyslogHeader──▶ kind ─┬─ router   → router topic, key = host= value
 *                                                         ├─ platform → platform topic (if on), key = drain token
 *                                                         └─ app      → dropped, or platform (DRAIN_APP_OUTPUT)
 *
 * A record's value is the original syslog line, bytes exactly as Heroku sent them,
 * without the octet count and the trailing `\n`: a view into the request body, not
 * a copy. All records of one request share one headers object.
 */
export const RECORD_HEADERS = {
  drainToken: 'logplex-drain-token',
  frameId: 'logplex-frame-id',
  receivedAt: 'received-at-ms',
} as const;

export interface BatchContext {
  drainToken: string;
  frameId: string;
  receivedAtMs: number;
  /** keep the app's own output (to the platform topic) or drop it */
  appOutput: 'drop' | 'platform';
  /** false when `config.topics.platform` is null */
  platformTopic: boolean;
}

/** Why a line was not produced; a bounded set, used as a metric label. */
export type RejectReason = 'bad_header' | 'router_no_host' | 'app_output_dropped' | 'platform_disabled';

export interface BatchRecords {
  router: Message[];
  platform: Message[];
  /** rough size of the records on the wire (values, keys, headers), for the producer's byte budgets */
  recordBytes: number;
  framing: FramingStats;
  rejected: Record<RejectReason, number>;
  /** sum of the counts of L10 lines: messages logplex dropped before this drain */
  upstreamDropped: number;
}

/** Per-record overhead of the record format (varints, attributes, header names), estimated. */
const RECORD_OVERHEAD = 24;

const header = createSyslogHeader();
const hostRange = new Int32Array(2);

export function buildBatchRecords(body: Buffer, ctx: BatchContext): BatchRecords {
  const headers: IHeaders = {
    [RECORD_HEADERS.drainToken]: ctx.drainToken,
    [RECORD_HEADERS.frameId]: ctx.frameId,
    [RECORD_HEADERS.receivedAt]: String(ctx.receivedAtMs),
  };
  const headerBytes =
    RECORD_HEADERS.drainToken.length +
    ctx.drainToken.length +
    RECORD_HEADERS.frameId.length +
    ctx.frameId.length +
    RECORD_HEADERS.receivedAt.length +
    13;
  const platformKey = ctx.drainToken.length > 0 ? ctx.drainToken : null;
  const out: BatchRecords = {
    router: [],
    platform: [],
    recordBytes: 0,
    framing: createFramingStats(),
    rejected: { bad_header: 0, router_no_host: 0, app_output_dropped: 0, platform_disabled: 0 },
    upstreamDropped: 0,
  };
  let bytes = 0;
  const onFrame = (start: number, end: number): void => {
    if (!parseSyslogHeader(body, start, end, header)) {
      out.rejected.bad_header++;
      return;
    }
    const kind = classifyLine(body, header);
    if (kind === LineKind.Router) {
      if (!findRouterHost(body, header.msgStart, end, hostRange)) {
        out.rejected.router_no_host++;
        return;
      }
      out.router.push({
        key: body.subarray(hostRange[0], hostRange[1]),
        value: body.subarray(start, end),
        headers,
      });
      bytes += end - start + (hostRange[1]! - hostRange[0]!) + headerBytes + RECORD_OVERHEAD;
      return;
    }
    if (kind === LineKind.Platform) {
      const dropped = parseL10Dropped(body, header.msgStart, end);
      if (dropped > 0) out.upstreamDropped += dropped;
    } else if (ctx.appOutput === 'drop') {
      out.rejected.app_output_dropped++;
      return;
    }
    if (!ctx.platformTopic) {
      out.rejected.platform_disabled++;
      return;
    }
    out.platform.push({ key: platformKey, value: body.subarray(start, end), headers });
    bytes += end - start + (platformKey?.length ?? 0) + headerBytes + RECORD_OVERHEAD;
  };
  scanFrames(body, onFrame, out.framing);
  out.recordBytes = bytes;
  return out;
}
