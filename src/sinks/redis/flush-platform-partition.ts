import type { DynoWindowDelta, PlatformFlushBatch } from '../../actors/dyno-flush-batch.js';
import { advanceDynoState, type DynoState, emptyDynoState } from '../../actors/dyno-state.js';
import { encodeGroupedFlush, type FlushEncoding, type FlushLayout } from './flush-encoding.js';
import { type FlushResult, runFlush } from './flush-outcome.js';
import type { FlushOptions } from './flush-partition.js';
import { packDynoState, writeDynoLoad, writeDynoMemory } from './packed-dyno-values.js';
import { hasCodes, writeCodes } from './packed-values.js';
import type { RedisClient } from './redis-client.js';
import { routemeterCommands } from './redis-commands.js';
import {
  dynoStateKey,
  dynoWindowIndexKey,
  dynoWindowKey,
  partitionTag,
  platformAppsKey,
} from './redis-keys.js';
import type { Retention } from './retention.js';

/**
 * Stores one platform (dyno) partition flush effectively once, exactly as
 * flushPartition stores a router partition's: the same offsets hash (claimed by
 * claimPartition), fencing and outcomes (flush-outcome.ts: `applied`,
 * `already-applied`, RM_ERR_FLUSH_FENCED, RM_ERR_FLUSH_OFFSET_MISMATCH,
 * RM_ERR_REDIS_UNAVAILABLE), in ONE Lua script (platform-flush-script.ts) over keys
 * that all carry the partition's hash tag:
 *
 *   {p}dw:{t:P}:<res>:<app>:<start>   <dyno>|m, <dyno>|l, <dyno>|e merged as mergeDynoDelta
 *   {p}dwi:{t:P}:<res>:<app>          window starts
 *   {p}dapps:{t:P}                    app → latest window start (the read side finds apps here)
 *   {p}dyn:{t:P}:<app>                dyno → latest sample, replaced only by a newer one
 *
 * Formats: redis-keys.ts and packed-dyno-values.ts; docs/dyno-metrics.md.
 */
export async function flushPlatformPartition(
  redis: RedisClient,
  prefix: string,
  batch: PlatformFlushBatch,
  options: FlushOptions,
): Promise<FlushResult> {
  return runFlush(
    batch,
    'PlatformFlushBatch',
    () => encodePlatformFlush(prefix, batch, options.retention),
    (n, keys, args) => routemeterCommands(redis).rmPlatformFlush(n, keys, args),
  );
}

const PLATFORM_LAYOUT: FlushLayout<DynoWindowDelta> = {
  appsKey: platformAppsKey,
  windowKey: (prefix, tag, d) => dynoWindowKey(prefix, tag, d.resolutionSeconds, d.app, d.windowStart),
  indexKey: (prefix, tag, d) => dynoWindowIndexKey(prefix, tag, d.resolutionSeconds, d.app),
  width: 3,
  writeDelta(slab, d) {
    slab.name(d.dyno);
    if (d.memorySamples > 0) {
      writeDynoMemory(slab.begin(), d);
      slab.end();
    } else slab.none();
    if (d.loadSamples > 0) {
      writeDynoLoad(slab.begin(), d);
      slab.end();
    } else slab.none();
    if (hasCodes(d.events)) {
      writeCodes(slab.begin(), d.events);
      slab.end();
    } else slab.none();
  },
};

/** The flat KEYS/ARGV of the platform flush script (exported for tests). */
export function encodePlatformFlush(
  prefix: string,
  batch: PlatformFlushBatch,
  retention: Retention,
): FlushEncoding {
  const out = encodeGroupedFlush(prefix, batch, retention, PLATFORM_LAYOUT);
  // the latest sample per (app, dyno) in this batch: both resolutions carry the same "last"
  const states = new Map<string, Map<string, DynoState>>();
  for (const d of batch.deltas) {
    if (d.memorySamples === 0 && d.loadSamples === 0) continue;
    let dynos = states.get(d.app);
    if (dynos === undefined) {
      dynos = new Map();
      states.set(d.app, dynos);
    }
    dynos.set(d.dyno, advanceDynoState(dynos.get(d.dyno) ?? emptyDynoState(), d));
  }
  const tag = partitionTag(batch.topic, batch.partition);
  out.args.push(states.size);
  for (const [app, dynos] of states) {
    out.keys.push(dynoStateKey(prefix, tag, app));
    out.args.push(dynos.size);
    for (const [dyno, s] of dynos) out.args.push(dyno, packDynoState(s));
  }
  return out;
}
