/**
 * Writes the primitive types of Kafka's (non-flexible) protocol, big-endian:
 *
 *   int8 | int16 | int32 | int64 | string = int16 length + UTF-8 bytes (-1: null)
 *   array = int32 count + items (-1: null)
 *
 * Requests are small (a Fetch of one partition is ~80 bytes), so the writer grows one
 * Buffer and hands out a slice; nothing here is on the per-record path.
 */
export class WireWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initial = 128) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int8(v: number): this {
    this.room(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  int16(v: number): this {
    this.room(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.room(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  /** Offsets and timestamps: JS numbers are exact up to 2^53, far beyond any Kafka offset. */
  int64(v: number): this {
    this.room(8);
    this.buf.writeBigInt64BE(BigInt(v), this.pos);
    this.pos += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const n = Buffer.byteLength(v);
    this.int16(n);
    this.room(n);
    this.buf.write(v, this.pos);
    this.pos += n;
    return this;
  }

  /** Bytes as they are (no length prefix). */
  raw(b: Buffer): this {
    this.room(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }

  array<T>(items: readonly T[] | null, item: (w: this, v: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const v of items) item(this, v);
    return this;
  }

  /** Patches an int32 written earlier (the frame's size prefix). */
  setInt32(at: number, v: number): void {
    this.buf.writeInt32BE(v, at);
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
