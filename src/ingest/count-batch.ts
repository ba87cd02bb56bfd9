import type { Logger } from '../telemetry/logger.js';
import type { BatchRecords } from './batch-records.js';
import type { DrainMetrics } from './drain-metrics.js';

/** Per-batch counting of what the parsers saw (one `inc` per label, never per line). */
export function countBatch(
  deps: { metrics: DrainMetrics; logger: Logger },
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
  if (records.hotCount > 0) metrics.hotAppLines.inc(records.hotCount);
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
