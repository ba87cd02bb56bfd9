import type { FlushBatch, WindowDelta } from '../../actors/flush-batch.js';
import { encodeGroupedFlush, type FlushEncoding, type FlushLayout } from './flush-encoding.js';
import { type FlushResult, runFlush } from './flush-outcome.js';
import type { FlushSlab } from './flush-slab.js';
import { hasCodes, writeCodes, writeHistogram, writeStats } from './packed-values.js';
import type { RedisClient } from './redis-client.js';
import { routemeterCommands } from './redis-commands.js';
import { partitionAppsKey, windowIndexKey, windowKey } from './redis-keys.js';
import type { Retention } from './retention.js';

/**
 * Stores one router partition flush effectively once (see flush-script.ts for the
 * Lua side, flush-outcome.ts for what the outcomes mean and docs/redis-keys.md for
 * the protocol): `applied` / `already-applied`, or throws RM_ERR_FLUSH_FENCED,
 * RM_ERR_FLUSH_OFFSET_MISMATCH or RM_ERR_REDIS_UNAVAILABLE (retry with the SAME batch).
 */
export interface FlushOptions {
  retention: Retention;
}

export async function flushPartition(
  redis: RedisClient,
  prefix: string,
  batch: FlushBatch,
  options: FlushOptions,
): Promise<FlushResult> {
  return runFlush(
    batch,
    'FlushBatch',
    () => encodeFlush(prefix, batch, options.retention),
    (n, keys, args) => routemeterCommands(redis).rmFlush(n, keys, args),
  );
}

/**
 * Deltas already written in this flush, by their statusClasses array: a roll-up
 * holding a single short window is that window's delta with another window
 * (partition-aggregator.ts shares its arrays), so its values point at the bytes
 * already written (FlushSlab.reuse) instead of being packed and sent again.
 * Steady flushes (one short window per route and interval) are mostly such pairs.
 */
const written = new Map<WindowDelta['statusClasses'], number>();
const writtenDeltas: WindowDelta[] = [];
/** 4 spans per written delta: stats, codes, service, connect (FlushSlab.end()) */
const writtenSpans: number[] = [];

function sameValues(a: WindowDelta, b: WindowDelta): boolean {
  return (
    a.statusClasses === b.statusClasses &&
    a.codes === b.codes &&
    a.serviceHistogram === b.serviceHistogram &&
    a.connectHistogram === b.connectHistogram &&
    a.count === b.count &&
    a.serviceSumMs === b.serviceSumMs &&
    a.serviceCount === b.serviceCount &&
    a.serviceMaxMs === b.serviceMaxMs &&
    a.connectSumMs === b.connectSumMs &&
    a.connectCount === b.connectCount &&
    a.bytes === b.bytes
  );
}

function writeValue(slab: FlushSlab, span: number): void {
  if (span === 0) slab.none();
  else slab.reuse(span);
}

const ROUTER_LAYOUT: FlushLayout<WindowDelta> = {
  appsKey: partitionAppsKey,
  windowKey: (prefix, tag, d) => windowKey(prefix, tag, d.resolutionSeconds, d.app, d.windowStart),
  indexKey: (prefix, tag, d) => windowIndexKey(prefix, tag, d.resolutionSeconds, d.app),
  width: 4,
  clear() {
    written.clear();
    writtenDeltas.length = 0;
    writtenSpans.length = 0;
  },
  writeDelta(slab, d) {
    slab.name(d.route);
    const seen = written.get(d.statusClasses);
    if (seen !== undefined && sameValues(writtenDeltas[seen]!, d)) {
      for (let k = 0; k < 4; k++) writeValue(slab, writtenSpans[4 * seen + k]!);
      return;
    }
    writeStats(slab.begin(), d);
    const stats = slab.end();
    let codes = 0;
    if (hasCodes(d.codes)) {
      writeCodes(slab.begin(), d.codes);
      codes = slab.end();
    } else slab.none();
    let service = 0;
    if (d.serviceHistogram.length > 0) {
      writeHistogram(slab.begin(), d.serviceHistogram);
      service = slab.end();
    } else slab.none();
    let connect = 0;
    if (d.connectHistogram.length > 0) {
      writeHistogram(slab.begin(), d.connectHistogram);
      connect = slab.end();
    } else slab.none();
    if (seen === undefined) {
      written.set(d.statusClasses, writtenDeltas.length);
      writtenDeltas.push(d);
      writtenSpans.push(stats, codes, service, connect);
    }
  },
};

/** The flat KEYS/ARGV of the flush script (exported for tests and for measuring). */
export function encodeFlush(prefix: string, batch: FlushBatch, retention: Retention): FlushEncoding {
  return encodeGroupedFlush(prefix, batch, retention, ROUTER_LAYOUT);
}
