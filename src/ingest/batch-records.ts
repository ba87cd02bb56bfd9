import {
  KEY_DRAIN_TOKEN,
  RECORD_HEADERS,
  RECORD_INTS,
  type RecordSlab,
  TOPIC_PLATFORM,
  TOPIC_ROUTER,
} from '../kafka/record-slab.js';
import { parseL10Dropped } from '../logplex/l10-overflow.js';
import { classifyLine, LineKind } from '../logplex/line-kind.js';
import { createFramingStats, type FramingStats, scanFrames } from '../logplex/logplex-framing.js';
import { findRouterHost } from '../logplex/router-line.js';
import { createSyslogHeader, parseSyslogHeader } from '../logplex/syslog-header.js';
import type { AppCheck, AppRefusal } from './drain-apps.js';

export { RECORD_HEADERS };

/**
 * One drain request body → the Kafka records it becomes (docs/kafka-records.md):
 *
 *   body ──scanFrames──▶ line ──parseSyslogHeader──▶ kind ─┬─ router   → router topic, key = host= value
 *                                                         ├─ platform → platform topic (if on), key = drain token
 *                                                         └─ app      → dropped, or platform (DRAIN_APP_OUTPUT)
 *
 * A record's value is the original syslog line, bytes exactly as Heroku sent them,
 * without the octet count and the trailing `\n`. Records are offsets into the body
 * (a `RecordSlab`), not copies: the producer thread turns them into kafkajs messages.
 */
export interface BatchContext {
  drainToken: string;
  frameId: string;
  receivedAtMs: number;
  /** keep the app's own output (to the platform topic) or drop it */
  appOutput: 'drop' | 'platform';
  /** false when `config.topics.platform` is null */
  platformTopic: boolean;
  /** which app hosts this drain may write (drain-apps.ts); absent = any */
  appCheck?: AppCheck | null;
}

/** Why a line was not produced; a bounded set, used as a metric label. */
export type RejectReason =
  | 'bad_header'
  | 'router_no_host'
  | 'app_output_dropped'
  | 'platform_disabled'
  | AppRefusal;

export interface BatchRecords {
  slab: RecordSlab;
  routerCount: number;
  platformCount: number;
  /** rough size of the records on the wire (values, keys, headers), for the producer's byte budgets */
  recordBytes: number;
  framing: FramingStats;
  rejected: Record<RejectReason, number>;
  /** sum of the counts of L10 lines: messages logplex dropped before this drain */
  upstreamDropped: number;
  /**
   * `host=` of the first router line produced, or null: what the drain learns as the
   * app of this drain token's platform lines (drain-token-apps.ts)
   */
  routerHost: string | null;
}

/** Per-record overhead of the record format (varints, attributes, header names), estimated. */
const RECORD_OVERHEAD = 24;
/** The shortest frame is a few bytes; this bounds the records a body can hold. */
const MIN_FRAME_BYTES = 8;

const header = createSyslogHeader();
const hostRange = new Int32Array(2);

export function buildBatchRecords(body: Buffer, ctx: BatchContext): BatchRecords {
  const headerBytes =
    RECORD_HEADERS.drainToken.length +
    ctx.drainToken.length +
    RECORD_HEADERS.frameId.length +
    ctx.frameId.length +
    RECORD_HEADERS.receivedAt.length +
    13;
  let records = new Int32Array(RECORD_INTS * Math.min(128, Math.ceil(body.length / MIN_FRAME_BYTES) + 1));
  let count = 0;
  let routerCount = 0;
  let platformCount = 0;
  const rejected: Record<RejectReason, number> = {
    bad_header: 0,
    router_no_host: 0,
    app_output_dropped: 0,
    platform_disabled: 0,
    app_not_allowed: 0,
    app_cap: 0,
  };
  const appCheck = ctx.appCheck ?? null;
  // Consecutive lines are mostly one app's: remember the last host's verdict.
  let lastHost = '';
  let lastVerdict: AppRefusal | null = null;
  let upstreamDropped = 0;
  let bytes = 0;
  let routerHost: string | null = null;
  const push = (topic: number, start: number, end: number, keyStart: number, keyEnd: number) => {
    if ((count + 1) * RECORD_INTS > records.length) {
      const grown = new Int32Array(records.length * 2);
      grown.set(records);
      records = grown;
    }
    const o = count * RECORD_INTS;
    records[o] = topic;
    records[o + 1] = start;
    records[o + 2] = end;
    records[o + 3] = keyStart;
    records[o + 4] = keyEnd;
    count++;
  };
  const onFrame = (start: number, end: number): void => {
    if (!parseSyslogHeader(body, start, end, header)) {
      rejected.bad_header++;
      return;
    }
    const kind = classifyLine(body, header);
    if (kind === LineKind.Router) {
      if (!findRouterHost(body, header.msgStart, end, hostRange)) {
        rejected.router_no_host++;
        return;
      }
      if (appCheck !== null) {
        const host = body.toString('latin1', hostRange[0]!, hostRange[1]!);
        if (host !== lastHost) {
          lastHost = host;
          lastVerdict = appCheck(host);
        }
        if (lastVerdict !== null) {
          rejected[lastVerdict]++;
          return;
        }
      }
      push(TOPIC_ROUTER, start, end, hostRange[0]!, hostRange[1]!);
      if (routerCount === 0) routerHost = body.toString('latin1', hostRange[0]!, hostRange[1]!).toLowerCase();
      routerCount++;
      bytes += end - start + (hostRange[1]! - hostRange[0]!) + headerBytes + RECORD_OVERHEAD;
      return;
    }
    if (kind === LineKind.Platform) {
      const dropped = parseL10Dropped(body, header.msgStart, end);
      if (dropped > 0) upstreamDropped += dropped;
    } else if (ctx.appOutput === 'drop') {
      rejected.app_output_dropped++;
      return;
    }
    if (!ctx.platformTopic) {
      rejected.platform_disabled++;
      return;
    }
    push(TOPIC_PLATFORM, start, end, KEY_DRAIN_TOKEN, 0);
    platformCount++;
    bytes += end - start + ctx.drainToken.length + headerBytes + RECORD_OVERHEAD;
  };
  const framing = scanFrames(body, onFrame, createFramingStats());
  return {
    slab: {
      body,
      records,
      count,
      drainToken: ctx.drainToken,
      frameId: ctx.frameId,
      receivedAtMs: ctx.receivedAtMs,
    },
    routerCount,
    platformCount,
    recordBytes: bytes,
    framing,
    rejected,
    upstreamDropped,
    routerHost,
  };
}
