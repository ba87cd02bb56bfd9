import type { Logger } from '../telemetry/logger.js';
import type { Assignment } from './kafka-cluster.js';
import type { WorkerToMain } from './protocol.js';
import type { Directive, Failure } from './supervision-decider.js';

/**
 * Telemetry as named events (after Vector's internal events): the supervisor
 * reports what happens, and the Prometheus layer (runtime-metrics.ts) decides
 * what to count. Passed in, never imported, so tests can observe them.
 *
 * Supervision decisions are events too: wherever `decide()` runs (the worker for
 * the flush path, the supervisor for partitions and threads), `decisionEvent`
 * logs it under a stable event name, and the decision reaches `decision()` here
 * (a worker posts it as a `decision` message), which counts
 * `routemeter_supervision_decisions_total{failure,action}`.
 */
export interface RuntimeEvents {
  /** the group's answer: this process's partitions of the router and platform topics */
  assignment(assignment: Assignment): void;
  partitionStarted(partition: number, epoch: number, offset: string, topic: string): void;
  partitionStopped(partition: number, reason: string, topic: string): void;
  flushed(msg: Extract<WorkerToMain, { code: 'flushed' }>): void;
  flushFailed(partition: number, error: Error, topic: string): void;
  workerRestarted(workerId: number): void;
  decision(failure: Failure, directive: Directive): void;
}

const noop = () => {};

export const silentEvents: RuntimeEvents = {
  assignment: noop,
  partitionStarted: noop,
  partitionStopped: noop,
  flushed: noop,
  flushFailed: noop,
  workerRestarted: noop,
  decision: noop,
};

/** The stable name of each failure's decision event, as it appears in the log's `event` field. */
export const DECISION_EVENTS = {
  'bad-record': 'BadRecordsSkipped',
  'store-unavailable': 'FlushRetryScheduled',
  'fetch-unavailable': 'FetchRetryScheduled',
  'flush-rejected': 'FlushRejected',
  fenced: 'PartitionFenced',
  'partition-failed': 'PartitionFailed',
  'start-failed': 'PartitionStartFailed',
  'worker-crashed': 'WorkerCrashed',
  'worker-out-of-memory': 'WorkerOutOfMemory',
  'membership-lost': 'MembershipLost',
} as const satisfies Record<Failure['kind'], string>;

/** Logs one supervision decision; escalations at error level, the rest at warn. */
export function decisionEvent(
  logger: Logger,
  context: Record<string, unknown>,
  failure: Failure,
  directive: Directive,
): void {
  const fields = { event: DECISION_EVENTS[failure.kind], ...context, failure, directive };
  const what = `supervision: ${failure.kind} → ${directive.action}`;
  if (directive.action === 'escalate') logger.error(fields, what);
  else logger.warn(fields, what);
}
