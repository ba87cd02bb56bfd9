import type { WorkerToMain } from './protocol.js';
import type { Directive, Failure } from './supervision-decider.js';

/**
 * Telemetry as named events (after Vector's internal events): the supervisor
 * reports what happens, and the Prometheus layer (sinks/prometheus) decides
 * what to count. Passed in, never imported, so tests can observe them.
 */
export interface RuntimeEvents {
  assignment(partitions: number[]): void;
  partitionStarted(partition: number, epoch: number, offset: string): void;
  partitionStopped(partition: number, reason: string): void;
  flushed(msg: Extract<WorkerToMain, { code: 'flushed' }>): void;
  flushFailed(partition: number, error: Error): void;
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
