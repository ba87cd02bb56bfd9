import type { Histogram } from 'hdr-histogram-js';
import type { WindowDelta } from '../../actors/flush-batch.js';
import type { SparseHistogram } from '../../actors/sparse-histogram.js';
import { RoutemeterError } from '../../errors/routemeter-error.js';
import { decodeMsgpack, MsgpackWriter } from './msgpack.js';
import { STATS } from './redis-keys.js';

/**
 * The MessagePack values of a window hash (formats in redis-keys.ts), written by
 * the flush and read back by the query module.
 *
 *   <route>|s   [count, serviceSumMs, serviceCount, serviceMaxMs, connectSumMs,
 *                connectCount, bytes, 1xx, 2xx, 3xx, 4xx, 5xx, other]
 *   <route>|e   {"503": 4, "H12": 3}
 *   <route>|hs  [value, count, value, count, …]   ascending by value
 *   <route>|hc  same
 */
const writer = new MsgpackWriter(16 * 1024);

export function packStats(d: WindowDelta): Buffer {
  return writeStats(writer.reset(), d).finish();
}

/** '' when there are no codes (the field is then not written) */
export function packCodes(codes: Record<string, number>): Buffer | '' {
  if (!hasCodes(codes)) return '';
  return writeCodes(writer.reset(), codes).finish();
}

/** [value, count, …] (WindowDelta) → the same numbers as a msgpack array; '' when empty (the field is then not written) */
export function packHistogram(pairs: SparseHistogram): Buffer | '' {
  if (pairs.length === 0) return '';
  return writeHistogram(writer.reset(), pairs).finish();
}

/** packStats's bytes, appended to `w` (the flush writes them straight into its slab). */
export function writeStats(w: MsgpackWriter, d: WindowDelta): MsgpackWriter {
  const c = d.statusClasses;
  w.arrayHeader(STATS.length)
    .number(d.count)
    .number(d.serviceSumMs)
    .number(d.serviceCount)
    .number(d.serviceCount > 0 ? d.serviceMaxMs : 0)
    .number(d.connectSumMs)
    .number(d.connectCount)
    .number(d.bytes);
  for (let i = 0; i < c.length; i++) w.number(c[i]!);
  return w;
}

export function hasCodes(codes: Record<string, number>): boolean {
  for (const _ in codes) return true;
  return false;
}

/** packCodes's bytes (non-empty codes), appended to `w` */
export function writeCodes(w: MsgpackWriter, codes: Record<string, number>): MsgpackWriter {
  let n = 0;
  for (const _ in codes) n++;
  w.mapHeader(n);
  for (const k in codes) w.string(k).number(codes[k]!);
  return w;
}

/** packHistogram's bytes (non-empty pairs), appended to `w` */
export function writeHistogram(w: MsgpackWriter, pairs: SparseHistogram): MsgpackWriter {
  w.arrayHeader(pairs.length);
  w.uints(pairs);
  return w;
}

export function unpackStats(bytes: Uint8Array): number[] {
  const v = decodeMsgpack(bytes);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number'))
    throw new RoutemeterError('RM_ERR_DECODE', 'bad stats value: not an array of numbers');
  const out = v as number[];
  while (out.length < STATS.length) out.push(0); // written by an older, shorter STATS
  return out;
}

export function unpackCodes(bytes: Uint8Array): Record<string, number> {
  const v = decodeMsgpack(bytes);
  // cmsgpack writes an empty Lua table as an empty array
  if (Array.isArray(v) && v.length === 0) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new RoutemeterError('RM_ERR_DECODE', 'bad codes value: not a map');
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) if (typeof n === 'number') out[k] = n;
  return out;
}

/** Adds a stored histogram into `target`; returns the count added. */
export function unpackHistogramInto(bytes: Uint8Array, target: Histogram): number {
  const v = decodeMsgpack(bytes);
  if (!Array.isArray(v) || v.length % 2 !== 0)
    throw new RoutemeterError('RM_ERR_DECODE', 'bad histogram value: not value/count pairs');
  let total = 0;
  for (let i = 0; i < v.length; i += 2) {
    const value = v[i];
    const count = v[i + 1];
    if (typeof value !== 'number' || typeof count !== 'number' || value < 0 || count < 0) {
      throw new RoutemeterError('RM_ERR_DECODE', 'bad histogram value: not value/count pairs');
    }
    if (count > 0) target.recordValueWithCount(value, count);
    total += count;
  }
  return total;
}

/** msgpack histogram → "value:count,…", for people reading Redis and for tests */
export function histogramToText(bytes: Uint8Array): string {
  const v = decodeMsgpack(bytes) as number[];
  const parts: string[] = [];
  for (let i = 0; i < v.length; i += 2) parts.push(`${v[i]}:${v[i + 1]}`);
  return parts.join(',');
}
