import { VarintReader } from './varint-reader.js';

/**
 * A record's headers, as they follow its value inside a RecordBatch v2:
 *
 *   headers count varint
 *   [ headerKeyLength varint | headerKey utf8 | headerValueLength varint (-1 = null) | value ]*
 *
 * The decoder hands out where this section starts and ends (`RecordView.headersStart`,
 * `headersEnd`); these helpers read it in place, no string or Buffer per header.
 */
export interface ByteRange {
  start: number;
  end: number;
  /** a header value of length -1 (start = end) */
  isNull: boolean;
}

export function createByteRange(): ByteRange {
  return { start: 0, end: 0, isNull: false };
}

const reader = new VarintReader();

/** Where one header's key and value are (reused between headers: nothing allocated per header). */
interface HeaderRanges {
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
  isNull: boolean;
}

const newHeaderRanges = (): HeaderRanges => ({
  keyStart: 0,
  keyEnd: 0,
  valueStart: 0,
  valueEnd: 0,
  isNull: false,
});
const found = newHeaderRanges();

/**
 * Reads the header at `r.pos` (key length, key, value length (-1 = null), value) into
 * `into` and moves past it; false when it is malformed or runs past `headersEnd`.
 */
function readHeader(r: VarintReader, headersEnd: number, into: HeaderRanges): boolean {
  const keyLength = r.varint();
  const keyStart = r.pos;
  if (!r.ok || keyLength < 0 || keyStart + keyLength > headersEnd) return false;
  r.pos = keyStart + keyLength;
  const valueLength = r.varint();
  const valueStart = r.pos;
  if (!r.ok || valueLength < -1 || valueStart + Math.max(0, valueLength) > headersEnd) return false;
  r.pos = valueStart + Math.max(0, valueLength);
  into.keyStart = keyStart;
  into.keyEnd = keyStart + keyLength;
  into.valueStart = valueStart;
  into.valueEnd = r.pos;
  into.isNull = valueLength === -1;
  return true;
}

/**
 * Finds the first header called `name` (its UTF-8 bytes) in `buf[headersStart, headersEnd)`
 * and writes its value's range into `out`. False when there is none or the section is
 * malformed (it never throws and reads nothing outside the range).
 */
export function findRecordHeader(
  buf: Uint8Array,
  headersStart: number,
  headersEnd: number,
  name: Uint8Array,
  out: ByteRange,
): boolean {
  const r = reader;
  r.reset(buf, headersStart, headersEnd);
  const count = r.varint();
  for (let i = 0; i < count && r.ok; i++) {
    if (!readHeader(r, headersEnd, found)) return false;
    if (found.keyEnd - found.keyStart === name.length && sameBytes(buf, found.keyStart, name)) {
      out.start = found.valueStart;
      out.end = found.valueEnd;
      out.isNull = found.isNull;
      return true;
    }
  }
  return false;
}

/** Calls `visit(keyStart, keyEnd, valueStart, valueEnd)` for each header; false if the section is malformed. */
export function forEachRecordHeader(
  buf: Uint8Array,
  headersStart: number,
  headersEnd: number,
  visit: (keyStart: number, keyEnd: number, valueStart: number, valueEnd: number, isNull: boolean) => void,
): boolean {
  // Its own reader and ranges: `visit` may call findRecordHeader.
  const r = new VarintReader();
  const h = newHeaderRanges();
  r.reset(buf, headersStart, headersEnd);
  const count = r.varint();
  if (!r.ok || count < 0) return false;
  for (let i = 0; i < count; i++) {
    if (!readHeader(r, headersEnd, h)) return false;
    visit(h.keyStart, h.keyEnd, h.valueStart, h.valueEnd, h.isNull);
  }
  return true;
}

function sameBytes(buf: Uint8Array, at: number, name: Uint8Array): boolean {
  for (let i = 0; i < name.length; i++) if (buf[at + i] !== name[i]) return false;
  return true;
}
