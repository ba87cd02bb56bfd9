import { RoutemeterError } from '../../errors/routemeter-error.js';

/**
 * Reads the primitive types of Kafka's (non-flexible) protocol from one response
 * frame (see wire-writer.ts for the formats). A read past the end throws
 * RM_ERR_KAFKA_PROTOCOL: a truncated or misparsed response is a bug or a broker we
 * misunderstood, never a reason to crash the thread or loop.
 */
export class WireReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
    /** gives `buf` back to the connection that read it (broker-connection.ts's FramePool) */
    private onRelease: (() => void) | null = null,
  ) {
    this.pos = start;
  }

  /**
   * Says nothing reads `buf` any more (nor anything cut from it), so the connection
   * may reuse it for a later response. Optional: a frame never released is collected.
   */
  release(): void {
    const r = this.onRelease;
    this.onRelease = null;
    r?.();
  }

  private need(n: number, what: string): number {
    const at = this.pos;
    if (n < 0 || at + n > this.end) {
      throw new RoutemeterError(
        'RM_ERR_KAFKA_PROTOCOL',
        `response ends inside ${what} (at byte ${at} of ${this.end}, needs ${n})`,
      );
    }
    this.pos = at + n;
    return at;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1, 'an int8'));
  }

  int16(): number {
    return this.buf.readInt16BE(this.need(2, 'an int16'));
  }

  int32(): number {
    return this.buf.readInt32BE(this.need(4, 'an int32'));
  }

  /** As a number: exact for every offset, timestamp and producer id below 2^53 (-1 stays -1). */
  int64(): number {
    const at = this.need(8, 'an int64');
    return this.buf.readInt32BE(at) * 0x1_0000_0000 + this.buf.readUInt32BE(at + 4);
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  string(): string {
    const s = this.nullableString();
    if (s === null) throw new RoutemeterError('RM_ERR_KAFKA_PROTOCOL', 'a non-nullable string is null');
    return s;
  }

  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    const at = this.need(n, 'a string');
    return this.buf.toString('utf8', at, at + n);
  }

  /** Nullable bytes as [start, end) within `buf`: the records of a fetch are never copied. */
  bytesRange(): [number, number] | null {
    const n = this.int32();
    if (n < 0) return null;
    const at = this.need(n, 'a byte field');
    return [at, at + n];
  }

  array<T>(item: (r: this) => T): T[] {
    const n = this.int32();
    if (n < 0) return [];
    if (n > this.remaining) {
      throw new RoutemeterError('RM_ERR_KAFKA_PROTOCOL', `array of ${n} items in ${this.remaining} bytes`);
    }
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }
}
