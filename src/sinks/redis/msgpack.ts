import { RoutemeterError } from '../../errors/routemeter-error.js';
/**
 * The small subset of MessagePack (https://github.com/msgpack/msgpack/blob/master/spec.md)
 * the Redis sink stores (packed-values.ts): arrays and maps of numbers and strings. It is the format
 * Redis' Lua `cmsgpack` reads and writes, so the flush script merges stored
 * values with C-speed decoding instead of parsing text in Lua (about 5× less
 * Redis CPU per flush, measured: see docs/redis-keys.md).
 *
 *   positive fixint 0xxxxxxx   uint8/16/32/64 0xcc-0xcf   int8/16/32/64 0xd0-0xd3
 *   negative fixint 111xxxxx   float32 0xca, float64 0xcb
 *   fixstr 101xxxxx, str8/16/32 0xd9-0xdb   fixarray 1001xxxx, array16/32 0xdc/0xdd
 *   fixmap 1000xxxx, map16/32 0xde/0xdf     nil 0xc0 (decoded as null)
 *
 * Integers are exact up to 2^53 (JS numbers); cmsgpack writes integral Lua numbers
 * as integers, so counts and sums round-trip exactly.
 */
export class MsgpackWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 4096) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Starts a new value, reusing the buffer. */
  reset(): this {
    this.pos = 0;
    return this;
  }

  arrayHeader(length: number): this {
    this.ensure(5);
    if (length < 16) this.buf[this.pos++] = 0x90 | length;
    else if (length < 0x10000) {
      this.buf[this.pos] = 0xdc;
      this.buf.writeUInt16BE(length, this.pos + 1);
      this.pos += 3;
    } else {
      this.buf[this.pos] = 0xdd;
      this.buf.writeUInt32BE(length, this.pos + 1);
      this.pos += 5;
    }
    return this;
  }

  mapHeader(size: number): this {
    this.ensure(5);
    if (size < 16) this.buf[this.pos++] = 0x80 | size;
    else if (size < 0x10000) {
      this.buf[this.pos] = 0xde;
      this.buf.writeUInt16BE(size, this.pos + 1);
      this.pos += 3;
    } else {
      this.buf[this.pos] = 0xdf;
      this.buf.writeUInt32BE(size, this.pos + 1);
      this.pos += 5;
    }
    return this;
  }

  number(n: number): this {
    this.ensure(9);
    const b = this.buf;
    if (Number.isInteger(n) && n >= 0 && n <= Number.MAX_SAFE_INTEGER) {
      if (n < 0x80) b[this.pos++] = n;
      else if (n < 0x100) {
        b[this.pos++] = 0xcc;
        b[this.pos++] = n;
      } else if (n < 0x10000) {
        b[this.pos] = 0xcd;
        b.writeUInt16BE(n, this.pos + 1);
        this.pos += 3;
      } else if (n < 0x1_0000_0000) {
        b[this.pos] = 0xce;
        b.writeUInt32BE(n, this.pos + 1);
        this.pos += 5;
      } else {
        b[this.pos] = 0xcf;
        b.writeBigUInt64BE(BigInt(n), this.pos + 1);
        this.pos += 9;
      }
    } else if (Number.isInteger(n) && n < 0 && n >= -0x8000_0000) {
      b[this.pos] = 0xd2;
      b.writeInt32BE(n, this.pos + 1);
      this.pos += 5;
    } else {
      b[this.pos] = 0xcb;
      b.writeDoubleBE(n, this.pos + 1);
      this.pos += 9;
    }
    return this;
  }

  /**
   * `number(v)` for each v, with one bounds check for the whole list: the fast path
   * for histogram pairs (integers in 0..2^32); any other value goes through `number`.
   */
  uints(values: readonly number[]): this {
    this.ensure(5 * values.length);
    const b = this.buf;
    let pos = this.pos;
    for (let i = 0; i < values.length; i++) {
      const n = values[i]!;
      if (n >= 0 && n < 0x80 && (n | 0) === n) b[pos++] = n;
      else if (n >= 0 && n < 0x1_0000_0000 && n === Math.floor(n)) {
        if (n < 0x100) {
          b[pos++] = 0xcc;
          b[pos++] = n;
        } else if (n < 0x10000) {
          b[pos++] = 0xcd;
          b[pos++] = n >>> 8;
          b[pos++] = n & 0xff;
        } else {
          b[pos++] = 0xce;
          b[pos++] = n >>> 24;
          b[pos++] = (n >>> 16) & 0xff;
          b[pos++] = (n >>> 8) & 0xff;
          b[pos++] = n & 0xff;
        }
      } else {
        this.pos = pos;
        this.number(n); // may grow the buffer
        return this.uints(values.slice(i + 1));
      }
    }
    this.pos = pos;
    return this;
  }

  string(s: string): this {
    const length = Buffer.byteLength(s);
    this.ensure(5 + length);
    if (length < 32) this.buf[this.pos++] = 0xa0 | length;
    else if (length < 0x100) {
      this.buf[this.pos++] = 0xd9;
      this.buf[this.pos++] = length;
    } else if (length < 0x10000) {
      this.buf[this.pos] = 0xda;
      this.buf.writeUInt16BE(length, this.pos + 1);
      this.pos += 3;
    } else {
      this.buf[this.pos] = 0xdb;
      this.buf.writeUInt32BE(length, this.pos + 1);
      this.pos += 5;
    }
    this.pos += this.buf.write(s, this.pos);
    return this;
  }

  /** UTF-8 bytes of `s` with no MessagePack header (a name inside a flush slab, flush-slab.ts). */
  raw(s: string): this {
    this.ensure(3 * s.length);
    this.pos += this.buf.write(s, this.pos);
    return this;
  }

  /** bytes written since `reset()` */
  get length(): number {
    return this.pos;
  }

  /** A copy of what was written since `reset()` (the internal buffer is reused). */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}

export type MsgpackValue = number | string | null | MsgpackValue[] | { [key: string]: MsgpackValue };

/** Decodes one value; throws on types outside the subset or on truncated input. */
export function decodeMsgpack(bytes: Uint8Array): MsgpackValue {
  const reader = new Reader(bytes);
  const value = reader.value();
  if (reader.pos !== bytes.length)
    throw new RoutemeterError('RM_ERR_DECODE', `msgpack: ${bytes.length - reader.pos} trailing bytes`);
  return value;
}

class Reader {
  pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  value(): MsgpackValue {
    const t = this.u8();
    if (t < 0x80) return t;
    if (t >= 0xe0) return t - 0x100;
    if ((t & 0xf0) === 0x90) return this.array(t & 0x0f);
    if ((t & 0xf0) === 0x80) return this.map(t & 0x0f);
    if ((t & 0xe0) === 0xa0) return this.str(t & 0x1f);
    switch (t) {
      case 0xc0:
        return null;
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.read(2, () => this.view.getUint16(this.pos));
      case 0xce:
        return this.read(4, () => this.view.getUint32(this.pos));
      case 0xcf:
        return this.read(8, () => Number(this.view.getBigUint64(this.pos)));
      case 0xd0:
        return this.read(1, () => this.view.getInt8(this.pos));
      case 0xd1:
        return this.read(2, () => this.view.getInt16(this.pos));
      case 0xd2:
        return this.read(4, () => this.view.getInt32(this.pos));
      case 0xd3:
        return this.read(8, () => Number(this.view.getBigInt64(this.pos)));
      case 0xca:
        return this.read(4, () => this.view.getFloat32(this.pos));
      case 0xcb:
        return this.read(8, () => this.view.getFloat64(this.pos));
      case 0xd9:
        return this.str(this.u8());
      case 0xda:
        return this.str(this.read(2, () => this.view.getUint16(this.pos)));
      case 0xdb:
        return this.str(this.read(4, () => this.view.getUint32(this.pos)));
      case 0xdc:
        return this.array(this.read(2, () => this.view.getUint16(this.pos)));
      case 0xdd:
        return this.array(this.read(4, () => this.view.getUint32(this.pos)));
      case 0xde:
        return this.map(this.read(2, () => this.view.getUint16(this.pos)));
      case 0xdf:
        return this.map(this.read(4, () => this.view.getUint32(this.pos)));
      default:
        throw new RoutemeterError(
          'RM_ERR_DECODE',
          `msgpack: unsupported type 0x${t.toString(16)} at ${this.pos - 1}`,
        );
    }
  }

  private u8(): number {
    if (this.pos >= this.bytes.length) throw new RoutemeterError('RM_ERR_DECODE', 'msgpack: truncated');
    return this.bytes[this.pos++]!;
  }

  private read(size: number, get: () => number): number {
    if (this.pos + size > this.bytes.length) throw new RoutemeterError('RM_ERR_DECODE', 'msgpack: truncated');
    const v = get();
    this.pos += size;
    return v;
  }

  private str(length: number): string {
    if (this.pos + length > this.bytes.length)
      throw new RoutemeterError('RM_ERR_DECODE', 'msgpack: truncated');
    const s = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, length).toString('utf8');
    this.pos += length;
    return s;
  }

  private array(length: number): MsgpackValue[] {
    const out = new Array<MsgpackValue>(length);
    for (let i = 0; i < length; i++) out[i] = this.value();
    return out;
  }

  private map(size: number): { [key: string]: MsgpackValue } {
    const out: { [key: string]: MsgpackValue } = {};
    for (let i = 0; i < size; i++) {
      const key = String(this.value());
      const value = this.value();
      // A `__proto__` key is data here: assigned, it would replace the object's prototype.
      if (key === '__proto__') {
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        out[key] = value;
      }
    }
    return out;
  }
}
