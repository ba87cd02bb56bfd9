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
    const keyLength = r.varint();
    const keyStart = r.pos;
    if (!r.ok || keyLength < 0 || keyStart + keyLength > headersEnd) return false;
    r.pos = keyStart + keyLength;
    const valueLength = r.varint();
    const valueStart = r.pos;
    if (!r.ok || valueLength < -1 || valueStart + Math.max(0, valueLength) > headersEnd) return false;
    r.pos = valueStart + Math.max(0, valueLength);
    if (keyLength === name.length && sameBytes(buf, keyStart, name)) {
      out.start = valueStart;
      out.end = valueStart + Math.max(0, valueLength);
      out.isNull = valueLength === -1;
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
  const r = new VarintReader();
  r.reset(buf, headersStart, headersEnd);
  const count = r.varint();
  if (!r.ok || count < 0) return false;
  for (let i = 0; i < count; i++) {
    const keyLength = r.varint();
    const keyStart = r.pos;
    if (!r.ok || keyLength < 0 || keyStart + keyLength > headersEnd) return false;
    r.pos = keyStart + keyLength;
    const valueLength = r.varint();
    const valueStart = r.pos;
    if (!r.ok || valueLength < -1 || valueStart + Math.max(0, valueLength) > headersEnd) return false;
    r.pos = valueStart + Math.max(0, valueLength);
    visit(keyStart, keyStart + keyLength, valueStart, r.pos, valueLength === -1);
  }
  return true;
}

function sameBytes(buf: Uint8Array, at: number, name: Uint8Array): boolean {
  for (let i = 0; i < name.length; i++) if (buf[at + i] !== name[i]) return false;
  return true;
}
