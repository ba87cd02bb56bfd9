import {
  KEY_DRAIN_TOKEN,
  keyInKeys,
  RECORD_HEADERS,
  RECORD_INTS,
  type RecordSlab,
  TOPIC_PLATFORM,
  TOPIC_ROUTER,
} from '../kafka/record-slab.js';
import { parseL10Dropped } from '../logplex/l10-overflow.js';
import { classifyLine, LineKind } from '../logplex/line-kind.js';
import { createFramingStats, type FramingStats, scanFrames } from '../logplex/logplex-framing.js';
import { findRouterHost, findRouterPath } from '../logplex/router-line.js';
import { createSyslogHeader, parseSyslogHeader } from '../logplex/syslog-header.js';
import type { AppCheck, AppRefusal } from './drain-apps.js';
import { type HotAppKeys, type HotAppKeyTable, pathShard } from './hot-app-keys.js';
import { RequestHosts } from './request-hosts.js';

export { RECORD_HEADERS };

/**
 * One drain request body → the Kafka records it becomes (docs/kafka-records.md):
 *
 *   body ──scanFrames──▶ line ──parseSyslogHeader──▶ kind ─┬─ router   → router topic, key = host= value
 *                                                         │            (a hot app, named or detected: `host#s`)
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
  /** apps whose router records are spread over several partitions (named or detected); absent = none */
  hotApps?: HotAppKeys | null;
  /** counts the router records produced per app (the hot-app detector); absent = not counted */
  appTally?: AppTally | null;
}

/** Told the router records of each app of a request: once per app per request, not per line. */
export interface AppTally {
  add(host: string, lines: number): void;
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
  /** router records keyed `host#s` (DRAIN_HOT_APPS) */
  hotCount: number;
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
const pathRange = new Int32Array(2);
/** a hot host's key table and where this request's key buffer holds a copy of its keys */
interface HotKeys {
  table: HotAppKeyTable;
  base: number;
}
const requestHosts = new RequestHosts<HotKeys>();

/** same bytes at buf[a, a+n) and buf[b, b+n) */
function rangesEqual(buf: Uint8Array, a: number, b: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

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
  // Hot apps and the tally: the request's distinct hosts (request-hosts.ts), each looked up
  // once, and the last one seen (as a range of the body: consecutive lines are mostly one
  // app's, and comparing bytes costs no string). The key tables used by this request are
  // copied into `keys` once each.
  const hotApps = ctx.hotApps != null && ctx.hotApps.size > 0 ? ctx.hotApps : null;
  const tally = ctx.appTally ?? null;
  const track = hotApps !== null || tally !== null;
  const hosts = requestHosts;
  hosts.reset();
  let hostEntry = -1;
  let hotStart = -1;
  let hotLen = 0;
  let hot: HotKeys | null = null;
  let keys: Buffer | null = null;
  let keysUsed = 0;
  let keyBases: Map<HotAppKeyTable, number> | null = null;
  let hotCount = 0;
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
  /** a key table's copy in this request's key buffer (one copy per table, however many hosts share it) */
  const keysOf = (table: HotAppKeyTable): HotKeys => {
    keyBases ??= new Map();
    const known = keyBases.get(table);
    if (known !== undefined) return { table, base: known };
    const n = table.bytes.length;
    if (keys === null || keysUsed + n > keys.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(256, 2 * (keysUsed + n))); // not pooled: cloned to the producer thread
      if (keys !== null) keys.copy(grown, 0, 0, keysUsed);
      keys = grown;
    }
    table.bytes.copy(keys, keysUsed);
    keyBases.set(table, keysUsed);
    keysUsed += n;
    return { table, base: keysUsed - n };
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
      const h0 = hostRange[0]!;
      const h1 = hostRange[1]!;
      if (routerCount === 0) routerHost = body.toString('latin1', h0, h1).toLowerCase();
      if (track) {
        if (hotStart < 0 || h1 - h0 !== hotLen || !rangesEqual(body, h0, hotStart, hotLen)) {
          hotStart = h0;
          hotLen = h1 - h0;
          hostEntry = hosts.find(body, h0, h1);
          if (hostEntry < 0) {
            hostEntry = -1 - hostEntry;
            const host = body.toString('latin1', h0, h1);
            hosts.names[hostEntry] = host;
            const table = hotApps === null ? null : hotApps.lookup(host);
            if (table !== null) hosts.values[hostEntry] = keysOf(table);
          }
          hot = hosts.values[hostEntry] ?? null;
        }
        hosts.counts[hostEntry]!++;
        if (hot !== null) {
          // No path= (the runtime rejects such a line anyway): shard of the empty path.
          const { table, base } = hot;
          const found = findRouterPath(body, header.msgStart, end, pathRange);
          const shard = found ? pathShard(body, pathRange[0]!, pathRange[1]!, table.shards) : 0;
          const k0 = base + table.offsets[shard]!;
          const k1 = base + table.offsets[shard + 1]!;
          push(TOPIC_ROUTER, start, end, keyInKeys(k0), k1);
          routerCount++;
          hotCount++;
          bytes += end - start + (k1 - k0) + headerBytes + RECORD_OVERHEAD;
          return;
        }
      }
      push(TOPIC_ROUTER, start, end, h0, h1);
      routerCount++;
      bytes += end - start + (h1 - h0) + headerBytes + RECORD_OVERHEAD;
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
  if (tally !== null) for (let i = 0; i < hosts.size; i++) tally.add(hosts.names[i]!, hosts.counts[i]!);
  hosts.reset();
  return {
    slab: {
      body,
      records,
      count,
      keys: keys === null ? null : (keys as Buffer).subarray(0, keysUsed),
      drainToken: ctx.drainToken,
      frameId: ctx.frameId,
      receivedAtMs: ctx.receivedAtMs,
    },
    routerCount,
    hotCount,
    platformCount,
    recordBytes: bytes,
    framing,
    rejected,
    upstreamDropped,
    routerHost,
  };
}
