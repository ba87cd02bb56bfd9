import type { Writable } from 'node:stream';
import type { Kafka } from 'kafkajs';
import type { RouteTemplater } from '../actors/route-template.js';
import type { Logger } from '../telemetry/logger.js';
import { DivergenceReport } from './divergence-report.js';
import type { HostMap } from './host-map.js';
import type { QueryRules } from './query-redaction.js';
import { deleteReplayGroup, openRecordSource } from './record-source.js';
import { type DispatcherOptions, ReplayDispatcher } from './replay-dispatcher.js';
import type { ReplayFilter } from './replay-filter.js';
import { type ItemContext, toReplayItem } from './replay-item.js';
import type { ReplayMetrics } from './replay-metrics.js';
import type { ReplaySender } from './replay-sender.js';
import type { ReplaySummary } from './replay-summary.js';
import type { VerdictThresholds } from './route-verdict.js';

/**
 * One replay, from Kafka to the report:
 *
 *   record source (own group) ─► toReplayItem (parse, range, filters, host map, redaction)
 *        ▲ pause/resume               │ item
 *        └──── queue high/low ◄── ReplayDispatcher (pacing, caps, send, auto-stop)
 *                                     │ outcomes
 *                                     ▼
 *                              DivergenceReport ─► summary (table, JSON, /metrics)
 *
 * Ends on the first of: the range's end offsets reached and the queue sent
 * (`end_of_range`), `count` requests selected and sent (`count`), the abort
 * signal (`signal`, SIGTERM), or the automatic stop (`target_failing`).
 */
export interface ReplayPlan extends Omit<DispatcherOptions, 'userAgent'> {
  topic: string;
  groupId: string;
  /** delete the group afterwards (it was made up for this run) */
  deleteGroup: boolean;
  fromMs: number | null;
  toMs: number | null;
  count: number | null;
  slackMs: number;
  filter: ReplayFilter;
  hostMap: HostMap;
  query: QueryRules;
  templater: RouteTemplater;
  thresholds: VerdictThresholds;
  /** records waiting in memory before the consumer pauses */
  maxQueued: number;
}

export interface ReplayProgress {
  read: number;
  sent: number;
  answered: number;
  failures: number;
  /** what `done` counts towards: records in the range, or --count; null for a live tail */
  total: number | null;
  done: number;
}

export interface ReplayDeps {
  kafka: Kafka;
  sender: ReplaySender | null;
  logger: Logger;
  report?: DivergenceReport;
  metrics?: ReplayMetrics | null;
  out?: Writable;
  signal?: AbortSignal;
  /** called about every `progressMs` while running, and once at the end */
  onProgress?: (p: ReplayProgress) => void;
  progressMs?: number;
}

export async function runReplay(plan: ReplayPlan, deps: ReplayDeps): Promise<ReplaySummary> {
  const startedAt = new Date().toISOString();
  const report = deps.report ?? new DivergenceReport(plan.thresholds);
  const metrics = deps.metrics ?? null;
  const dispatcher = new ReplayDispatcher(
    { ...plan, userAgent: 'routemeter-replay/0.1', leadMs: plan.dryRun ? 0 : plan.leadMs },
    { sender: plan.dryRun ? null : deps.sender, report, metrics, logger: deps.logger, out: deps.out },
  );
  const source = await openRecordSource({
    kafka: deps.kafka,
    topic: plan.topic,
    groupId: plan.groupId,
    fromMs: plan.fromMs,
    toMs: plan.toMs,
    slackMs: plan.slackMs,
    logger: deps.logger,
  });
  const ctx: ItemContext = {
    filter: plan.filter,
    hostMap: plan.hostMap,
    query: plan.query,
    templater: plan.templater,
    fromMs: plan.fromMs,
    toMs: plan.toMs,
  };
  const skipped: Record<string, number> = {};
  let read = 0;
  let selected = 0;
  let unparsed = 0;
  let accepting = true;
  const low = Math.floor(plan.maxQueued / 2);
  dispatcher.onDequeue = () => {
    if (dispatcher.queued <= low) source.resume();
  };

  const onRecord = (record: { partition: number; value: Buffer }) => {
    if (!accepting) return;
    read++;
    const result = toReplayItem(record.value, record.partition, ctx);
    if (!result.ok) {
      if (result.reason === 'unparsed') unparsed++;
      else skipped[result.reason] = (skipped[result.reason] ?? 0) + 1;
      metrics?.records.inc({
        result: result.reason === 'unparsed' ? 'unparsed' : `skipped_${result.reason}`,
      });
      return;
    }
    selected++;
    dispatcher.push(result.item);
    if (plan.count !== null && selected >= plan.count) {
      accepting = false;
      source.pause();
      dispatcher.finishInput('count');
    } else if (dispatcher.queued >= plan.maxQueued) {
      source.pause();
    }
  };

  const onAbort = () => dispatcher.stop('signal');
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  if (deps.signal?.aborted) onAbort();
  source.finished.then(() => dispatcher.finishInput('end_of_range'));

  const total = plan.count ?? source.total;
  const progress = (): ReplayProgress => ({
    read,
    sent: dispatcher.sent,
    answered: dispatcher.answered,
    failures: dispatcher.failures,
    total,
    done: plan.count !== null ? dispatcher.sent : read,
  });
  const ticker = deps.onProgress
    ? setInterval(() => deps.onProgress?.(progress()), deps.progressMs ?? 250)
    : undefined;

  let stopReason: ReplaySummary['stopReason'];
  try {
    await source.start(onRecord);
    stopReason = await dispatcher.run();
  } finally {
    accepting = false;
    if (ticker) clearInterval(ticker);
    deps.signal?.removeEventListener('abort', onAbort);
    await source.close();
    if (plan.deleteGroup) await deleteReplayGroup(deps.kafka, plan.groupId, deps.logger);
  }
  deps.onProgress?.(progress());
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    dryRun: plan.dryRun,
    targets: plan.hostMap.targets.map((t) => t.origin + t.prefix),
    stopReason,
    stopDetail: dispatcher.stopDetail,
    records: { read, selected, sent: dispatcher.sent, unparsed, skipped },
    pacing: dispatcher.pacing.summary(),
    routes: report.rows(),
  };
}
