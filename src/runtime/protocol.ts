import type { DynoState } from '../actors/dyno-state.js';
import { RoutemeterError } from '../errors/routemeter-error.js';
import type { SerializedError } from '../errors/serialize-error.js';
import type { Directive, Failure } from './supervision-decider.js';

/**
 * The main ↔ worker protocol: plain messages with a `code` field, one
 * discriminated union each way, handled with exhaustive switches. An unknown
 * code is a bug (RM_ERR_PROTOCOL). Errors travel as `SerializedError` data.
 */
export type MainToWorker =
  /** start consuming `partition`: claim it in Redis, seek to the stored offset */
  | { code: 'assign'; topic: string; partition: number }
  /** the group moved `partition` elsewhere: stop fetching, flush, report `partition-stopped` */
  | { code: 'revoke'; topic: string; partition: number }
  /** SIGTERM: stop fetching everywhere, flush everything, then report `shutdown-complete` */
  | { code: 'shutdown' }
  /** fault injection (tests, game days): the worker throws an uncaught error, as a bug would */
  | { code: 'crash'; reason: string }
  /** fault injection: the worker blocks its event loop for `ms`, as a stuck loop would (liveness) */
  | { code: 'stall'; ms: number };

/**
 * Per-route numbers a worker reports with each flush, for the per-route
 * Prometheus series (route-samples.ts): counters and the service-time
 * histogram's counts per fixed bucket (ROUTE_LATENCY_BUCKETS_MS, then +Inf).
 */
export interface RouteSample {
  app: string;
  /** route template, or `__other__` for the rest of the app's routes in this flush */
  route: string;
  count: number;
  serviceSumMs: number;
  serviceCount: number;
  /** requests by status class: 1xx, 2xx, 3xx, 4xx, 5xx (router errors such as H12 are 503s), other */
  statusClasses: number[];
  /** not cumulative: buckets[k] counts service times in (bound[k-1], bound[k]] */
  buckets: number[];
}

/**
 * The latest state of one dyno in a flush of a platform partition, for the dyno
 * gauges and event counters (dyno-series.ts). The dyno name never becomes a label:
 * main keeps it only to take the max or mean over a process type's dynos.
 */
export interface DynoSample extends DynoState {
  app: string;
  processType: string;
  dyno: string;
  /** events in this flush: `R14`, `L10`, `restart`, `crash` … → count */
  events: Record<string, number>;
}

/** What a worker tells main about a stored batch, per record kind. */
export interface FlushSummary {
  routes: RouteSample[];
  dynos?: DynoSample[];
}

export type WorkerToMain =
  | { code: 'ready' }
  | { code: 'partition-started'; topic: string; partition: number; epoch: number; offset: string }
  | {
      code: 'flushed';
      topic: string;
      partition: number;
      nextOffset: string;
      records: number;
      durationSeconds: number;
      routes: RouteSample[];
      /** platform partitions only */
      dynos?: DynoSample[];
    }
  | { code: 'flush-failed'; topic: string; partition: number; error: SerializedError }
  /** a decision the worker took (flush retries, stops, bad records), for the supervisor's count */
  | { code: 'decision'; topic: string; partition: number; failure: Failure; directive: Directive }
  | {
      code: 'partition-stopped';
      topic: string;
      partition: number;
      /** `failed`: a non-retryable error after the start; `start-failed`: the start itself failed */
      reason: StopReason;
      nextOffset: string | null;
      error?: SerializedError;
    }
  | { code: 'shutdown-complete' }
  | { code: 'fatal'; error: SerializedError };

export type StopReason = 'revoked' | 'fenced' | 'shutdown' | 'failed' | 'start-failed';

/** An exhaustive switch fell through: an unknown message code is a bug. */
export function assertNever(value: never, where: string): never {
  throw new RoutemeterError('RM_ERR_PROTOCOL', `unknown message code in ${where}: ${JSON.stringify(value)}`);
}
