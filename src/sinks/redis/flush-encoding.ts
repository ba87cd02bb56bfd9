import type { FlushRange } from './flush-outcome.js';
import { FlushSlab } from './flush-slab.js';
import { offsetKey, partitionTag } from './redis-keys.js';
import { longestTtl, type Retention, ttlFor } from './retention.js';

/**
 * The KEYS/ARGV of a partition flush script (layout in flush-script-parts.ts),
 * shared by router and platform flushes: deltas are grouped by window hash so each
 * hash gets one EXPIRE and one index update; every key carries the partition's hash
 * tag, so on Redis Cluster the whole flush lives in one slot (redis-keys.ts).
 *
 *   keys  off, apps index, then per group: window hash, window index
 *   args  epoch, fromOffset, nextOffset, watermark ms | '', apps TTL, G, blob, spans
 *
 * Every group travels in the last two (flush-slab.ts), not as ARGV of its own:
 * spans = per group [appStart, appLength, windowStart, ttl, deltaCount], then per
 * delta (start, length) of its name and of each of the layout's `width` values. The
 * platform flush appends its dyno states after them (ARGV[9…]). The encoder and the
 * Lua that reads it change together: the script's SHA is that of its text, so a
 * process always runs the script it was built with (docs/redis-keys.md).
 */
export type FlushArg = string | number | Buffer;

export interface FlushEncoding {
  keys: string[];
  args: FlushArg[];
  /** distinct window hashes (groups) */
  windows: number;
}

/** What grouping needs of a delta: its window and app. */
export interface WindowedDelta {
  resolutionSeconds: number;
  windowStart: number;
  app: string;
}

/** How one kind of flush names its keys and writes one delta: its name, then `width` values (one per field suffix). */
export interface FlushLayout<D extends WindowedDelta> {
  appsKey(prefix: string, tag: string): string;
  windowKey(prefix: string, tag: string, d: D): string;
  indexKey(prefix: string, tag: string, d: D): string;
  /** values per delta after its name: the script's field suffixes */
  width: number;
  /** `slab.name(...)` once, then exactly `width` values (`begin()`…`end()`, `none()` or `reuse()`) */
  writeDelta(slab: FlushSlab, d: D): void;
  /** clears a layout's per-flush state (e.g. what `reuse` may point at): called before and after each encoding */
  clear?(): void;
}

const slab = new FlushSlab();

export function encodeGroupedFlush<D extends WindowedDelta>(
  prefix: string,
  batch: FlushRange & { deltas: readonly D[]; watermarkMs?: number },
  retention: Retention,
  layout: FlushLayout<D>,
): FlushEncoding {
  const tag = partitionTag(batch.topic, batch.partition);
  // app → (resolution, windowStart) → deltas: the window's key string is built once
  // per group, not per delta (windowStart < 2^32 s, so the number key is exact)
  const byApp = new Map<string, Map<number, D[]>>();
  const groups = new Map<string, D[]>();
  for (const d of batch.deltas) {
    let windows = byApp.get(d.app);
    if (windows === undefined) {
      windows = new Map();
      byApp.set(d.app, windows);
    }
    const w = d.resolutionSeconds * 0x1_0000_0000 + d.windowStart;
    const group = windows.get(w);
    if (group !== undefined) group.push(d);
    else {
      const list = [d];
      windows.set(w, list);
      const key = layout.windowKey(prefix, tag, d);
      // two windows of one key (not possible with integer starts): one group, as before
      const same = groups.get(key);
      if (same === undefined) groups.set(key, list);
      else {
        same.push(d);
        windows.set(w, same);
      }
    }
  }
  const keys = [offsetKey(prefix, batch.topic, batch.partition), layout.appsKey(prefix, tag)];
  slab.reset(5 * groups.size + 2 * (1 + layout.width) * batch.deltas.length);
  layout.clear?.();
  try {
    for (const [key, deltas] of groups) {
      const first = deltas[0]!;
      keys.push(key, layout.indexKey(prefix, tag, first));
      slab.name(first.app);
      slab.int(first.windowStart);
      slab.int(ttlFor(retention, first.resolutionSeconds));
      slab.int(deltas.length);
      for (const d of deltas) layout.writeDelta(slab, d);
    }
  } finally {
    layout.clear?.();
  }
  const { blob, spans } = slab.finish();
  const args: FlushArg[] = [
    batch.epoch,
    batch.fromOffset,
    batch.nextOffset,
    batch.watermarkMs === undefined ? '' : batch.watermarkMs,
    longestTtl(retention),
    groups.size,
    blob,
    spans,
  ];
  return { keys, args, windows: groups.size };
}
