import type { Config } from '../../config/config.js';
import { RoutemeterError } from '../../errors/routemeter-error.js';

/**
 * How long each resolution is kept: window hashes and their index get
 * `EXPIRE ttl` at every flush that writes them, so a window lives `ttl` seconds
 * after its last write (late records extend it; nothing older than that lingers).
 */
export type Retention = ReadonlyMap<number, number>;

export function retentionFromConfig(
  runtime: Pick<
    Config['runtime'],
    'windowSeconds' | 'rollupSeconds' | 'windowRetentionSeconds' | 'rollupRetentionSeconds'
  >,
): Retention {
  const map = new Map<number, number>([[runtime.windowSeconds, runtime.windowRetentionSeconds]]);
  // If both resolutions are equal there is one series; keep it for the longer retention.
  const rollup = Math.max(runtime.rollupRetentionSeconds, map.get(runtime.rollupSeconds) ?? 0);
  map.set(runtime.rollupSeconds, rollup);
  return map;
}

export function ttlFor(retention: Retention, resolutionSeconds: number): number {
  const ttl = retention.get(resolutionSeconds);
  if (ttl === undefined) {
    throw new RoutemeterError(
      'RM_ERR_INVALID_BATCH',
      `no retention configured for resolution ${resolutionSeconds}s (known: ${[...retention.keys()].join(', ')})`,
    );
  }
  return ttl;
}

export function longestTtl(retention: Retention): number {
  return Math.max(...retention.values());
}
