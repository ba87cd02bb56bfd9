import type { FlushArg } from '../../../src/sinks/redis/flush-encoding.js';
import { decodeMsgpack } from '../../../src/sinks/redis/msgpack.js';

/** Test helper (not a test file): what the flush script reads out of ARGV[7..8] (flush-slab.ts). */
export interface SlabGroup {
  app: string;
  windowStart: number;
  ttl: number;
  deltas: Array<{ name: string; values: Array<Buffer | ''>; spans: number[] }>;
}

export function readSlab(args: readonly FlushArg[], width: number): SlabGroup[] {
  const groups = args[5] as number;
  const blob = args[6] as Buffer;
  const L = decodeMsgpack(args[7] as Buffer) as number[];
  const cut = (p: number): Buffer | '' =>
    L[p + 1] === 0 ? '' : blob.subarray(L[p]! - 1, L[p]! - 1 + L[p + 1]!);
  const out: SlabGroup[] = [];
  let p = 0;
  for (let g = 0; g < groups; g++) {
    const group: SlabGroup = {
      app: cut(p).toString(),
      windowStart: L[p + 2]!,
      ttl: L[p + 3]!,
      deltas: [],
    };
    const n = L[p + 4]!;
    p += 5;
    for (let d = 0; d < n; d++) {
      const values: Array<Buffer | ''> = [];
      for (let k = 1; k <= width; k++) values.push(cut(p + 2 * k));
      group.deltas.push({
        name: cut(p).toString(),
        values,
        spans: L.slice(p, p + 2 * (width + 1)),
      });
      p += 2 * (width + 1);
    }
    out.push(group);
  }
  if (p !== L.length) throw new Error(`spans: read ${p} of ${L.length}`);
  return out;
}
