/**
 * Kafka's record fields are zigzag varints (protobuf's encoding): 7 bits per byte, low
 * group first, high bit = "more"; zigzag maps 0, -1, 1, -2 … to 0, 1, 2, 3 … so that
 * small negative numbers (a null key's length, -1) take one byte.
 *
 *   varint  int32, at most 5 bytes       (record length, offsetDelta, key/value lengths)
 *   varlong int64, at most 10 bytes      (timestampDelta)
 *
 * One reader serves both, as a JS number (exact up to 2^53, which covers every delta a
 * batch can hold). It never throws and never allocates: a value that runs past `end`
 * or past 10 bytes sets `ok = false` and reads as 0, and the caller checks `ok` once per
 * record. The position lives in the reader, so the hot loop reads without returning pairs.
 */
export class VarintReader {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  ok = true;

  reset(buf: Uint8Array, pos: number, end: number): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.ok = true;
  }

  /** The next zigzag varint or varlong. */
  varint(): number {
    const buf = this.buf;
    let p = this.pos;
    if (p >= this.end) return this.fail();
    let b = buf[p++]!;
    if (b < 0x80) {
      this.pos = p;
      return (b >>> 1) ^ -(b & 1);
    }
    let u = b & 0x7f;
    let mul = 128;
    for (let i = 1; ; i++) {
      if (p >= this.end || i === 10) return this.fail();
      b = buf[p++]!;
      u += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
    }
    this.pos = p;
    // Zigzag back, in doubles: u may exceed 2^32.
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  private fail(): number {
    this.ok = false;
    this.pos = this.end;
    return 0;
  }
}
