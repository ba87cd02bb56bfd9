/**
 * One raw Snappy block (the unit inside Kafka's xerial framing), decompressed with every
 * length checked. Written here rather than taken from snappyjs because snappyjs reads a
 * 4-byte literal length as a negative number and then walks backwards through its input,
 * which made a 70-byte fuzz input spin for seconds (test/kafka/record-batch-decoder.property.test.ts).
 *
 * Format (google/snappy format_description.txt):
 *
 *   preamble   uncompressed length, unsigned varint (≤ 5 bytes)
 *   elements   tag byte, low 2 bits:
 *     00 literal   length-1 = tag>>2 when < 60; 60..63: the next 1..4 bytes (LE) hold length-1
 *     01 copy      length = 4 + ((tag>>2) & 7), offset = (tag>>5)<<8 | next byte
 *     10 copy      length = 1 + (tag>>2), offset = next 2 bytes LE
 *     11 copy      length = 1 + (tag>>2), offset = next 4 bytes LE
 *
 * Every element moves the output forward by at least one byte and the output is bounded by
 * the preamble (checked against `maxBytes` first), so no input loops. Returns null when the
 * block is malformed.
 */
export function uncompressSnappyBlock(
  src: Uint8Array,
  start: number,
  end: number,
  maxBytes: number,
): Buffer | null {
  let p = start;
  let length = 0;
  let mul = 1;
  for (let i = 0; ; i++) {
    if (i === 5 || p >= end) return null;
    const b = src[p++]!;
    length += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
  }
  if (length > maxBytes || length > 0xffffffff) return null;
  const dst = Buffer.allocUnsafe(length);
  let d = 0;
  while (p < end) {
    const tag = src[p++]!;
    let len: number;
    switch (tag & 3) {
      case 0: {
        len = (tag >>> 2) + 1;
        if (len > 60) {
          const n = len - 60;
          if (p + n > end) return null;
          len = 0;
          for (let i = n - 1; i >= 0; i--) len = len * 256 + src[p + i]!;
          len += 1;
          p += n;
        }
        if (p + len > end || d + len > length) return null;
        if (len < 32) for (let i = 0; i < len; i++) dst[d + i] = src[p + i]!;
        else dst.set(src.subarray(p, p + len), d);
        p += len;
        d += len;
        continue;
      }
      case 1: {
        if (p >= end) return null;
        len = 4 + ((tag >>> 2) & 7);
        const offset = ((tag >>> 5) << 8) | src[p++]!;
        if (!copy(dst, d, offset, len, length)) return null;
        d += len;
        continue;
      }
      case 2: {
        if (p + 2 > end) return null;
        len = (tag >>> 2) + 1;
        const offset = src[p]! | (src[p + 1]! << 8);
        p += 2;
        if (!copy(dst, d, offset, len, length)) return null;
        d += len;
        continue;
      }
      default: {
        if (p + 4 > end) return null;
        len = (tag >>> 2) + 1;
        const offset = (src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24)) >>> 0;
        p += 4;
        if (!copy(dst, d, offset, len, length)) return null;
        d += len;
      }
    }
  }
  return d === length ? dst : null;
}

function copy(dst: Buffer, d: number, offset: number, len: number, length: number): boolean {
  if (offset === 0 || offset > d || d + len > length) return false;
  // Short or overlapping copies byte by byte (an overlap repeats the pattern, as the format means).
  if (len >= 32 && offset >= len) dst.copyWithin(d, d - offset, d - offset + len);
  else for (let i = 0; i < len; i++) dst[d + i] = dst[d - offset + i]!;
  return true;
}
