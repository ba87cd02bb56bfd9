import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RejectReason } from './batch-records.js';

/**
 * The drain's Prometheus metrics, registered on the Registry passed in (never the
 * global one, so the CLI can merge the drain's registry with the runtime's). The
 * request handler counts locally and adds once per batch, never per line.
 *
 * Why a line is not accepted (`reason`), a bounded set:
 *   bad_header, router_no_host, app_output_dropped, platform_disabled,
 *   app_not_allowed, app_cap                                           (decided per line)
 *   kafka_unavailable, saturated, timeout, closing, internal            (the whole batch got 503/500)
 */
export type BatchFailureReason = 'kafka_unavailable' | 'saturated' | 'timeout' | 'closing' | 'internal';
export type LineReason = RejectReason | BatchFailureReason;

/** Drain tokens become a label on the upstream-drop counter; past this many distinct ones, `other`. */
export const MAX_DRAIN_LABELS = 50;

export interface DrainMetrics {
  requests: Counter<'status'>;
  lines: Counter<'result' | 'reason'>;
  bytes: Counter;
  produceDuration: Histogram<'result'>;
  produceBatchRecords: Histogram;
  dedupeHits: Counter;
  dedupeErrors: Counter;
  upstreamDropped: Counter<'drain'>;
  hotAppLines: Counter;
  /** detected hot apps becoming hot, cold again, or left unspread past the cap (hot-app-detector.ts) */
  hotAppChanges: Counter<'change'>;
  msgCountMismatch: Counter;
  framesRepaired: Counter;
  garbageBytes: Counter;
  lateOutcomes: Counter<'result'>;
  /** platform lines by where their app came from (drain-token-apps.ts) */
  platformApps: Counter<'source'>;
  /** Redis reads and writes of learned token → app entries that failed */
  tokenAppErrors: Counter;
  requestDuration: Histogram<'status'>;
  authFailures: Counter<'reason'>;
  admissionRefused: Counter<'reason'>;
  /** the label to use for a drain token, capped at MAX_DRAIN_LABELS distinct values */
  drainLabel(token: string): string;
}

/** What the gauges read when scraped. */
export interface DrainGauges {
  queuedBytes(): number;
  inflightRequests(): number;
  /** apps the hot-app detector holds hot now */
  detectedHotApps?(): number;
}

/**
 * Request-duration buckets: dense near logplex's 5 s deadline (the drain answers 503 at
 * DRAIN_PRODUCE_TIMEOUT_MS, 4 s by default), so `le="4"`/`le="5"` can be alerted on.
 */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 4.5, 5, 10];

export function createDrainMetrics(
  registry: Registry,
  gauges: DrainGauges = { queuedBytes: () => 0, inflightRequests: () => 0 },
): DrainMetrics {
  const registers = [registry];
  const seenDrains = new Set<string>();
  new Gauge({
    name: 'routemeter_drain_producer_queued_bytes',
    help: 'Bytes of records waiting for or in a produce call',
    registers,
    collect() {
      this.set(gauges.queuedBytes());
    },
  });
  new Gauge({
    name: 'routemeter_drain_inflight_requests',
    help: 'Requests on the drain path admitted and not yet answered (bounded by DRAIN_MAX_INFLIGHT)',
    registers,
    collect() {
      this.set(gauges.inflightRequests());
    },
  });
  new Gauge({
    name: 'routemeter_drain_detected_hot_apps',
    help: 'Apps this drain process detected as hot and keys host#s now (DRAIN_HOT_APP_SHARE); each process decides on its own',
    registers,
    collect() {
      this.set(gauges.detectedHotApps?.() ?? 0);
    },
  });
  return {
    requests: new Counter({
      name: 'routemeter_drain_requests_total',
      help: 'Drain HTTP requests by response status ("aborted" when the client went away first)',
      labelNames: ['status'],
      registers,
    }),
    lines: new Counter({
      name: 'routemeter_drain_lines_total',
      help: 'Syslog lines received, by result (accepted | rejected) and reason (topic kind or why not)',
      labelNames: ['result', 'reason'],
      registers,
    }),
    bytes: new Counter({
      name: 'routemeter_drain_bytes_total',
      help: 'Request body bytes received on the drain path',
      registers,
    }),
    produceDuration: new Histogram({
      name: 'routemeter_drain_produce_duration_seconds',
      help: 'Duration of one produce call (acks=all) of coalesced batches',
      labelNames: ['result'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    produceBatchRecords: new Histogram({
      name: 'routemeter_drain_produce_batch_records',
      help: 'Records per produce call (how well concurrent requests coalesce)',
      buckets: [10, 50, 100, 200, 500, 1000, 2000, 5000, 10_000],
      registers,
    }),
    dedupeHits: new Counter({
      name: 'routemeter_drain_dedupe_hits_total',
      help: 'Batches whose Logplex-Frame-Id was already produced (a logplex retry), answered 2xx without producing',
      registers,
    }),
    dedupeErrors: new Counter({
      name: 'routemeter_drain_dedupe_errors_total',
      help: 'Redis errors of the frame-id dedupe (the batch is then produced without dedupe)',
      registers,
    }),
    upstreamDropped: new Counter({
      name: 'routemeter_drain_upstream_dropped_total',
      help: 'Messages logplex reports it dropped before this drain (L10 lines), by drain token (capped)',
      labelNames: ['drain'],
      registers,
    }),
    hotAppLines: new Counter({
      name: 'routemeter_drain_hot_app_lines_total',
      help: 'Router lines of hot apps (named in DRAIN_HOT_APPS or detected), keyed host#s to spread them over partitions',
      registers,
    }),
    hotAppChanges: new Counter({
      name: 'routemeter_drain_hot_app_changes_total',
      help: 'Detected hot apps by change: detected (keyed host#s from then on), released (keyed by host again after the hold), capped (hot, but past the most apps spread at once)',
      labelNames: ['change'],
      registers,
    }),
    msgCountMismatch: new Counter({
      name: 'routemeter_drain_msg_count_mismatch_total',
      help: 'Batches whose frame count differs from Logplex-Msg-Count (every frame that parsed is kept)',
      registers,
    }),
    framesRepaired: new Counter({
      name: 'routemeter_drain_frames_repaired_total',
      help: 'Frames whose octet count was wrong or missing, delimited by a line break instead',
      registers,
    }),
    garbageBytes: new Counter({
      name: 'routemeter_drain_garbage_bytes_total',
      help: 'Body bytes that belonged to no frame',
      registers,
    }),
    lateOutcomes: new Counter({
      name: 'routemeter_drain_late_outcomes_total',
      help: 'Batches answered 503 on the deadline whose produce call settled later (acked: its retry is deduped)',
      labelNames: ['result'],
      registers,
    }),
    platformApps: new Counter({
      name: 'routemeter_drain_platform_app_lines_total',
      help: 'Platform lines produced, by where the app in their app header came from: config (DRAIN_TOKEN_APPS), learned (router lines under the same drain token), unknown (no header)',
      labelNames: ['source'],
      registers,
    }),
    tokenAppErrors: new Counter({
      name: 'routemeter_drain_token_app_errors_total',
      help: 'Redis reads or writes of learned drain token → app entries that failed or timed out (attribution degrades, ingest does not)',
      registers,
    }),
    requestDuration: new Histogram({
      name: 'routemeter_drain_request_duration_seconds',
      help: 'Time from a drain request to its answer, by status (logplex gives up at 5 s)',
      labelNames: ['status'],
      buckets: REQUEST_DURATION_BUCKETS,
      registers,
    }),
    authFailures: new Counter({
      name: 'routemeter_drain_auth_failures_total',
      help: 'Drain requests refused for their credentials or drain token (401), by reason',
      labelNames: ['reason'],
      registers,
    }),
    admissionRefused: new Counter({
      name: 'routemeter_drain_admission_refused_total',
      help: 'Requests answered 503 before their body was read: too many in flight, or too many bytes queued',
      labelNames: ['reason'],
      registers,
    }),
    drainLabel(token: string): string {
      if (seenDrains.has(token)) return token;
      if (seenDrains.size >= MAX_DRAIN_LABELS) return 'other';
      seenDrains.add(token);
      return token;
    },
  };
}
