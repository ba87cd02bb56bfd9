import type { DynoWindowDelta } from '../../actors/dyno-flush-batch.js';
import { type DynoState, emptyDynoState } from '../../actors/dyno-state.js';
import { RoutemeterError } from '../../errors/routemeter-error.js';
import { decodeMsgpack, MsgpackWriter } from './msgpack.js';
import { unpackCodes } from './packed-values.js';
import { DYNO_LOAD, DYNO_MEMORY, DYNO_STATE } from './redis-keys.js';

/**
 * The MessagePack values of the dyno keys (formats in redis-keys.ts), written by the
 * platform flush and read back by queryDynos. Events use the router's codes map
 * (packCodes / unpackCodes).
 *
 *   <dyno>|m   [samples, totalSum, totalMax, totalLast, rssSum, rssMax, rssLast,
 *               swapMax, swapLast, quota, lastMs]
 *   <dyno>|l   [samples, sum, max, last, lastMs]
 *   dyn field  [memoryLastMs, totalMb, rssMb, swapMb, quotaMb, loadLastMs, load1m]
 */
const writer = new MsgpackWriter(1024);

function packNumbers(values: readonly number[]): Buffer {
  writer.reset().arrayHeader(values.length);
  for (const v of values) writer.number(v);
  return writer.finish();
}

function unpackNumbers(bytes: Uint8Array, length: number, what: string): number[] {
  const v = decodeMsgpack(bytes);
  if (!Array.isArray(v) || v.length !== length || !v.every((x) => typeof x === 'number'))
    throw new RoutemeterError('RM_ERR_DECODE', `bad ${what} value: not an array of ${length} numbers`);
  return v as number[];
}

/** packDynoMemory's bytes (a window with memory samples), appended to `w` (the flush's slab) */
export function writeDynoMemory(w: MsgpackWriter, d: DynoWindowDelta): MsgpackWriter {
  w.arrayHeader(DYNO_MEMORY.length);
  for (const f of DYNO_MEMORY) w.number(d[f]);
  return w;
}

/** packDynoLoad's bytes (a window with load samples), appended to `w` */
export function writeDynoLoad(w: MsgpackWriter, d: DynoWindowDelta): MsgpackWriter {
  w.arrayHeader(DYNO_LOAD.length);
  for (const f of DYNO_LOAD) w.number(d[f]);
  return w;
}

/** '' when the window has no memory sample (the field is then not written) */
export function packDynoMemory(d: DynoWindowDelta): Buffer | '' {
  return d.memorySamples > 0 ? packNumbers(DYNO_MEMORY.map((f) => d[f])) : '';
}

/** '' when the window has no load sample */
export function packDynoLoad(d: DynoWindowDelta): Buffer | '' {
  return d.loadSamples > 0 ? packNumbers(DYNO_LOAD.map((f) => d[f])) : '';
}

export function packDynoState(s: DynoState): Buffer {
  return packNumbers(DYNO_STATE.map((f) => s[f]));
}

export function unpackDynoState(bytes: Uint8Array): DynoState {
  const v = unpackNumbers(bytes, DYNO_STATE.length, 'dyno state');
  const s = emptyDynoState();
  DYNO_STATE.forEach((f, i) => {
    s[f] = v[i]!;
  });
  return s;
}

/**
 * The three fields of one dyno in one window hash → the delta they hold (absent fields:
 * no samples / no events). `processType` is derived by the caller from the dyno name.
 */
export function unpackDynoDelta(
  into: DynoWindowDelta,
  fields: { m?: Uint8Array; l?: Uint8Array; e?: Uint8Array },
): DynoWindowDelta {
  if (fields.m !== undefined) {
    const v = unpackNumbers(fields.m, DYNO_MEMORY.length, 'dyno memory');
    DYNO_MEMORY.forEach((f, i) => {
      into[f] = v[i]!;
    });
  }
  if (fields.l !== undefined) {
    const v = unpackNumbers(fields.l, DYNO_LOAD.length, 'dyno load');
    DYNO_LOAD.forEach((f, i) => {
      into[f] = v[i]!;
    });
  }
  if (fields.e !== undefined) into.events = unpackCodes(fields.e);
  return into;
}

/**
 * The dyno name without a `.N` suffix of digits, as the platform parser derives the
 * process type (platform-line.ts): `web.1` → `web`, `run.4821` → `run`, `overflow` → `overflow`.
 */
export function processTypeOf(dyno: string): string {
  const dot = dyno.lastIndexOf('.');
  if (dot <= 0 || dot === dyno.length - 1) return dyno;
  for (let i = dot + 1; i < dyno.length; i++) {
    const c = dyno.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return dyno;
  }
  return dyno.slice(0, dot);
}
