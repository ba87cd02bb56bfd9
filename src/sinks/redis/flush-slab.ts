import { RoutemeterError } from '../../errors/routemeter-error.js';
import { MsgpackWriter } from './msgpack.js';

/**
 * The groups of a partition flush as two ARGV values instead of four per group and
 * one per name and value (layout in flush-script-parts.ts):
 *
 *   blob   every name (raw UTF-8) and MessagePack value of the flush, back to back
 *   spans  a MessagePack array of integers: per group  app start, app length,
 *          windowStart, ttl, deltaCount;  per delta  (start, length) of its name and
 *          of each field's value, 1-based into blob; length 0 = nothing to write
 *
 * Why: ioredis builds a command argument by argument (a header string, byte
 * lengths counted twice, one copy each) and Redis parses each one; with a few
 * thousand deltas per flush that was more CPU than packing the values (measured
 * with bench/support/consume-breakdown.ts). Here values are written straight into
 * one reused buffer (no Buffer per value), a value identical to one already
 * written can point at the same bytes (`reuse`), and the flush sends two
 * buffers. The script cuts the values out with string.sub: the stored bytes are
 * the same as before.
 *
 * Not re-entrant: encode, then `finish()` (which copies), within one synchronous call.
 */
export class FlushSlab {
  private readonly blob = new MsgpackWriter(64 * 1024);
  private readonly spans = new MsgpackWriter(16 * 1024);
  private valueStart = 0;
  /** integers the spans array was declared with, and written so far */
  private declared = 0;
  private written = 0;

  /** Starts a flush whose spans array holds `spanInts` integers (5 per group, 2 per name and value). */
  reset(spanInts: number): void {
    this.blob.reset();
    this.spans.reset().arrayHeader(spanInts);
    this.declared = spanInts;
    this.written = 0;
  }

  /** A name (app, route, dyno) as raw UTF-8 bytes: the script concatenates it with a field suffix. */
  name(s: string): void {
    const start = this.blob.length;
    this.blob.raw(s);
    this.span(start, this.blob.length - start);
  }

  /** An integer of a group header. */
  int(n: number): void {
    this.spans.number(n);
    this.written++;
  }

  /** Starts a MessagePack value: write it into the returned writer, then call `end()`. */
  begin(): MsgpackWriter {
    this.valueStart = this.blob.length;
    return this.blob;
  }

  /** Ends the value begun last; returns its span as start * 2^32 + length (for `reuse`). */
  end(): number {
    const length = this.blob.length - this.valueStart;
    this.span(this.valueStart, length);
    return this.valueStart * 0x1_0000_0000 + length;
  }

  /** No value for this field (the script writes nothing for it). */
  none(): void {
    this.span(0, 0);
  }

  /** The same bytes as an earlier value (`end()`'s result), written once. */
  reuse(span: number): void {
    const start = Math.floor(span / 0x1_0000_0000);
    this.span(start, span - start * 0x1_0000_0000);
  }

  /** The two ARGV values, as copies (the slab is reused by the next flush). */
  finish(): { blob: Buffer; spans: Buffer } {
    // a layout writing more or fewer values than its width would shift every later span
    if (this.written !== this.declared)
      throw new RoutemeterError(
        'RM_ERR_INTERNAL',
        `flush slab: ${this.written} span integers written, ${this.declared} declared`,
      );
    return { blob: this.blob.finish(), spans: this.spans.finish() };
  }

  private span(start: number, length: number): void {
    if (length === 0) this.spans.number(0).number(0);
    else this.spans.number(start + 1).number(length);
    this.written += 2;
  }
}
