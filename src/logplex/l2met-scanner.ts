import { createKeyValueCursor, type KeyValueCursor, nextPair } from './key-value-scanner.js';

/**
 * The l2met conventions that apps, add-ons and Heroku's log-runtime-metrics print:
 *
 *   count#user.signup=3   count#user.signup   count#user.signup=     (no value or an empty one counts 1)
 *   sample#memory_total=180.43MB   sample#memory_pgpgin=3467pages   sample#load_avg_1m=2.46
 *   measure#db.latency=12ms   measure#render=0.25s
 *
 * A measurement is `<type>#<name>` then `=`; the value is an optional `-`, digits,
 * an optional `.` and digits; **the unit is whatever follows the number** up to the
 * next space (`MB`, `pages`, `ms`, or nothing). Other tokens (`source=web.1`,
 * `dyno=heroku.…`, bare words) are not measurements and are skipped.
 *
 * `nextMeasurement` walks a message forward only (one `key-value-scanner` pass, no
 * regular expression) and fills a reusable cursor with offsets: no string per token.
 */
export const L2metType = {
  Count: 0,
  Sample: 1,
  Measure: 2,
} as const;
export type L2metType = (typeof L2metType)[keyof typeof L2metType];

export interface L2metCursor {
  type: L2metType;
  /** the name after `#` */
  nameStart: number;
  nameEnd: number;
  /** the number; NaN when `valid` is false */
  value: number;
  /** the unit: the bytes after the number, up to the end of the token (may be empty) */
  unitStart: number;
  unitEnd: number;
  /** false for `sample#x=` (no value), `measure#x=abc`, a name that is empty: counted, never thrown */
  valid: boolean;
  /** where the next token starts */
  next: number;
}

export function createL2metCursor(): L2metCursor {
  return {
    type: L2metType.Count,
    nameStart: 0,
    nameEnd: 0,
    value: Number.NaN,
    unitStart: 0,
    unitEnd: 0,
    valid: false,
    next: 0,
  };
}

const HASH = 0x23;
const DOT = 0x2e;
const MINUS = 0x2d;
const COUNT = Buffer.from('count');
const SAMPLE = Buffer.from('sample');
const MEASURE = Buffer.from('measure');
/** Digits read exactly; a longer mantissa falls back to Number() on the digits (never seen in practice). */
const EXACT_DIGITS = 15;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

const kv: KeyValueCursor = createKeyValueCursor();

function prefixIs(buf: Uint8Array, start: number, hash: number, word: Uint8Array): boolean {
  if (hash - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (buf[start + i] !== word[i]) return false;
  return true;
}

/**
 * Reads the next measurement at or after `pos` (skipping other tokens) into `cur`;
 * false when none is left before `end`. Never throws.
 */
export function nextMeasurement(buf: Uint8Array, pos: number, end: number, cur: L2metCursor): boolean {
  let p = pos;
  while (nextPair(buf, p, end, kv)) {
    p = kv.next;
    const ks = kv.keyStart;
    const ke = kv.keyEnd;
    // the type is at most 7 bytes: look for '#' in the first 8
    let hash = -1;
    const limit = Math.min(ke, ks + 8);
    for (let i = ks; i < limit; i++) {
      if (buf[i] === HASH) {
        hash = i;
        break;
      }
    }
    if (hash < 0) continue;
    let type: L2metType;
    if (prefixIs(buf, ks, hash, COUNT)) type = L2metType.Count;
    else if (prefixIs(buf, ks, hash, SAMPLE)) type = L2metType.Sample;
    else if (prefixIs(buf, ks, hash, MEASURE)) type = L2metType.Measure;
    else continue;
    cur.type = type;
    cur.nameStart = hash + 1;
    cur.nameEnd = ke;
    cur.next = p;
    const vs = kv.valueStart;
    const ve = kv.valueEnd;
    if (!kv.hasValue || vs === ve) {
      // `count#x` and `count#x=` count one; a sample or measure needs a number
      cur.value = type === L2metType.Count ? 1 : Number.NaN;
      cur.unitStart = ve;
      cur.unitEnd = ve;
      cur.valid = type === L2metType.Count && cur.nameEnd > cur.nameStart;
      return true;
    }
    const unitStart = parseNumber(buf, vs, ve, cur);
    cur.valid = unitStart >= 0 && cur.nameEnd > cur.nameStart;
    cur.unitStart = unitStart >= 0 ? unitStart : ve;
    cur.unitEnd = ve;
    return true;
  }
  return false;
}

/**
 * `180.43MB` → value 180.43, returns the offset of `MB`; -1 (value NaN) when the bytes
 * do not start with a number. The result equals `Number("180.43")` exactly: up to 15
 * digits, the integer mantissa and the power of ten are both exact doubles, so one
 * division rounds once, as Number() does.
 */
export function parseNumber(buf: Uint8Array, start: number, end: number, out: { value: number }): number {
  let p = start;
  const negative = p < end && buf[p] === MINUS;
  if (negative) p++;
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  const intStart = p;
  while (p < end) {
    const d = buf[p]! - 0x30;
    if (d < 0 || d > 9) break;
    mantissa = mantissa * 10 + d;
    digits++;
    p++;
  }
  const intDigits = p - intStart;
  if (p < end && buf[p] === DOT && p + 1 < end && buf[p + 1]! >= 0x30 && buf[p + 1]! <= 0x39) {
    p++;
    while (p < end) {
      const d = buf[p]! - 0x30;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
      digits++;
      fraction++;
      p++;
    }
  }
  if (digits === 0 || intDigits + fraction === 0) {
    out.value = Number.NaN;
    return -1;
  }
  let value: number;
  if (digits <= EXACT_DIGITS) value = mantissa / POW10[fraction]!;
  else value = Number(Buffer.from(buf.buffer, buf.byteOffset + start, p - start).toString('latin1'));
  out.value = negative ? -value : value;
  return p;
}

/** One measurement as strings, for tools and tests (the hot path uses the cursor). */
export interface L2metMeasurement {
  type: 'count' | 'sample' | 'measure';
  name: string;
  value: number;
  unit: string;
}

const TYPE_NAMES = ['count', 'sample', 'measure'] as const;

/** Every valid measurement of a message, in order; invalid ones are left out and counted. */
export function parseL2metLine(message: string | Uint8Array): {
  measurements: L2metMeasurement[];
  invalid: number;
} {
  const buf = typeof message === 'string' ? Buffer.from(message) : Buffer.from(message);
  const cur = createL2metCursor();
  const measurements: L2metMeasurement[] = [];
  let invalid = 0;
  let pos = 0;
  while (nextMeasurement(buf, pos, buf.length, cur)) {
    pos = cur.next;
    if (!cur.valid) {
      invalid++;
      continue;
    }
    measurements.push({
      type: TYPE_NAMES[cur.type],
      name: buf.toString('utf8', cur.nameStart, cur.nameEnd),
      value: cur.value,
      unit: buf.toString('utf8', cur.unitStart, cur.unitEnd),
    });
  }
  return { measurements, invalid };
}
