import type { RouteRow } from './divergence-report.js';
import type { PacingSummary } from './pacing-schedule.js';

/**
 * What a replay ends with: the JSON report (`--json FILE`) and the source of the
 * printed table. Written as is; the shape is documented in docs/replay.md.
 */
export type StopReason = 'end_of_range' | 'count' | 'signal' | 'target_failing';

export interface ReplaySummary {
  startedAt: string;
  finishedAt: string;
  dryRun: boolean;
  targets: string[];
  stopReason: StopReason;
  /** set when stopReason is target_failing: the window that tripped */
  stopDetail: { failures: number; requests: number } | null;
  records: {
    read: number;
    selected: number;
    sent: number;
    unparsed: number;
    skipped: Record<string, number>;
  };
  pacing: PacingSummary;
  routes: RouteRow[];
}
