import * as zlib from 'node:zlib';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { CODEC_NAMES, codecNeedsAsync, decompressAsync, decompressSync } from './batch-decompressor.js';
import { crc32c } from './crc32c.js';
import { DecodeResult } from './decode-result.js';
import { VarintReader } from './varint-reader.js';

/**
 * A zero-copy reader of the `records` bytes of one partition in a Fetch response: the
 * concatenated RecordBatches (magic 2) Kafka stores and serves exactly as producers
 * wrote them. From Kafka's protocol guide ("Record Batch"):
 *
 *   baseOffset: int64              0
 *   batchLength: int32             8   bytes after this field
 *   partitionLeaderEpoch: int32   12
 *   magic: int8 (current magic value is 2)                    16
 *   crc: uint32                   17   CRC-32C of attributes … end of batch
 *   attributes: int16             21   bit 0~2: compression (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd)
 *                                      bit 3: timestampType (1 = LogAppendTime: every record's is maxTimestamp)
 *                                      bit 4: isTransactional   bit 5: isControlBatch
 *   lastOffsetDelta: int32        23
 *   baseTimestamp: int64          27
 *   maxTimestamp: int64           35
 *   producerId: int64             43
 *   producerEpoch: int16          51
 *   baseSequence: int32           53
 *   records: [Record]             57   int32 count, then the records (compressed as one blob)
 *
 *   Record: length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *           keyLength varint | key | valueLength varint | value | headers count varint | headers
 *
 * Magic 0/1 entries (the old message sets: offset int64 | size int32 | crc | magic at 16)
 * are skipped by their length and counted.
 *
 *   fetch bytes ──► batch header ──► CRC-32C ──► skip? (below fetch offset, control, aborted)
 *                                                  │ no
 *                        codec none: records read in place       gzip/snappy/lz4: decompress (sync)
 *                        zstd: stop with stopReason 'needs-async' → resume() awaits the codec
 *                                                  ▼
 *        onRecord(buf, valueStart, valueEnd, offset, timestampMs, view)   (no allocation per record)
 *
 * The decode never throws on bad bytes: it stops (or skips, if asked) and says why in the
 * result. A handler that throws aborts the decode with that exception (a caller's bug).
 * One decode at a time per decoder (it keeps the decode in progress for resume()).
 */

/** One entry of the Fetch response's `aborted_transactions` for this partition. */
export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

export interface FetchedRecords {
  /** holds the partition's `records` bytes at [start, end) */
  buf: Buffer;
  start: number;
  end: number;
  /** the offset the fetch asked for: earlier records of the first batch are skipped */
  fetchOffset: number;
  /** READ_COMMITTED fetches: the response's aborted transactions (null/empty: nothing aborted) */
  abortedTransactions?: readonly AbortedTransaction[] | null;
}

/**
 * Where the current record's parts lie; one object, rewritten for every record (copy what
 * you need to keep). Ranges index the `buf` handed to the handler (the fetch buffer, or a
 * batch's decompressed records). Look headers up with `findRecordHeader(buf, view.headersStart,
 * view.headersEnd, name, out)` (record-header.ts).
 */
export interface RecordView {
  keyStart: number;
  keyEnd: number;
  keyIsNull: boolean;
  valueIsNull: boolean;
  headersStart: number;
  headersEnd: number;
  /** the record's batch */
  baseOffset: number;
  producerId: number;
  partitionLeaderEpoch: number;
  codec: number;
}

export type RecordHandler = (
  buf: Buffer,
  valueStart: number,
  valueEnd: number,
  offset: number,
  timestampMs: number,
  view: RecordView,
) => void;

export interface RecordBatchDecoderOptions {
  onRecord: RecordHandler;
  /** check each batch's CRC-32C (default true) */
  verifyCrc?: boolean;
  /**
   * 'stop' (default): a corrupt batch ends the decode at that batch, so nothing is lost and
   * the caller refetches; 'skip': count it and go on to the next batch (its records are lost).
   */
  onCorruptBatch?: 'stop' | 'skip';
  /** the most bytes one batch may decompress to (default 64 MiB) */
  maxDecompressedBytes?: number;
}

/** CRC-32 (IEEE) of legacy message sets; node:zlib has it from Node 20.15 (older: unchecked). */
const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** Batch header size up to the first record; the smallest `batchLength` is 61 - 12. */
const HEADER = 61;
const MIN_BATCH_LENGTH = HEADER - 12;
/** Legacy message: crc int32 | magic int8 | attributes int8 | key bytes | value bytes (at least). */
const MIN_LEGACY_LENGTH = 14;

export class RecordBatchDecoder {
  private readonly onRecord: RecordHandler;
  private readonly verifyCrc: boolean;
  private readonly skipCorrupt: boolean;
  private readonly maxDecompressed: number;
  private readonly reader = new VarintReader();
  private readonly view: RecordView = {
    keyStart: 0,
    keyEnd: 0,
    keyIsNull: false,
    valueIsNull: false,
    headersStart: 0,
    headersEnd: 0,
    baseOffset: 0,
    producerId: -1,
    partitionLeaderEpoch: -1,
    codec: 0,
  };
  private readonly result = new DecodeResult();
  // The decode in progress (kept across resume()).
  private input: FetchedRecords | null = null;
  private aborted: AbortedTransaction[] = [];
  private abortedNext = 0;
  private readonly abortedProducers = new Set<number>();
  private resumeAt = -1;
  private inflated: Buffer | null = null;

  constructor(options: RecordBatchDecoderOptions) {
    if (typeof options.onRecord !== 'function')
      throw new TypeError('RecordBatchDecoder: onRecord must be a function');
    this.onRecord = options.onRecord;
    this.verifyCrc = options.verifyCrc ?? true;
    this.skipCorrupt = (options.onCorruptBatch ?? 'stop') === 'skip';
    this.maxDecompressed = options.maxDecompressedBytes ?? 64 * 1024 * 1024;
  }

  /**
   * Reads the batches of `input` synchronously, calling `onRecord` for each record to deliver.
   * Stops with 'needs-async' before a zstd batch: then `resume()` goes on (same result).
   * The returned result is reused by the next decode of this decoder.
   */
  decodeSync(input: FetchedRecords): DecodeResult {
    const result = this.result;
    result.reset(input.fetchOffset);
    this.input = input;
    this.inflated = null;
    this.resumeAt = -1;
    this.abortedProducers.clear();
    this.abortedNext = 0;
    const list = input.abortedTransactions;
    if (list && list.length > 0) this.aborted = [...list].sort((a, b) => a.firstOffset - b.firstOffset);
    else if (this.aborted.length > 0) this.aborted = [];
    this.run(Math.max(0, input.start));
    return result;
  }

  /** Decompresses the batch a 'needs-async' stop is waiting on, and goes on with the decode. */
  async resume(): Promise<DecodeResult> {
    const result = this.result;
    const input = this.input;
    if (result.stopReason !== 'needs-async' || input === null) return result;
    const at = input.start + result.bytesConsumed;
    const buf = input.buf;
    const codec = buf.readInt16BE(at + 21) & 7;
    const end = at + 12 + buf.readInt32BE(at + 8);
    try {
      this.inflated = await decompressAsync(codec, buf.subarray(at + HEADER, end), this.maxDecompressed);
    } catch (err) {
      this.inflated = null;
      const e = err as RoutemeterError;
      if (e.code === 'RM_ERR_RECORD_BATCH_UNSUPPORTED') {
        result.error ??= e;
        result.stopReason = 'unsupported';
        return result;
      }
      if (this.badBatch(at, e, false)) return result;
      result.batches++;
      this.run(end);
      return result;
    }
    this.resumeAt = at;
    this.run(at);
    return result;
  }

  /** `decodeSync`, then `resume()` for as long as async codecs need it. */
  async decode(input: FetchedRecords): Promise<DecodeResult> {
    let result = this.decodeSync(input);
    while (result.stopReason === 'needs-async') result = await this.resume();
    return result;
  }

  private run(from: number): void {
    const input = this.input!;
    const result = this.result;
    const buf = input.buf;
    const end = Math.min(input.end, buf.length);
    let p = from;
    for (;;) {
      const avail = end - p;
      result.bytesConsumed = p - input.start;
      if (avail <= 0) {
        result.stopReason = 'end';
        return;
      }
      if (avail < 12) {
        this.partial(avail, 0);
        return;
      }
      const batchLength = buf.readInt32BE(p + 8);
      const size = 12 + batchLength;
      if (batchLength >= MIN_LEGACY_LENGTH && size > avail) {
        this.partial(avail, size);
        return;
      }
      const magic = buf[p + 16]!;
      if (batchLength < (magic < 2 ? MIN_LEGACY_LENGTH : MIN_BATCH_LENGTH)) {
        // Without a sane length the next batch cannot be found: stop even when skipping.
        this.badBatch(p, corruptError(`batch at byte ${p - input.start} has length ${batchLength}`), true);
        return;
      }
      if (magic < 2) {
        const offset = readInt64(buf, p);
        // Magic is outside a v2 batch's CRC: a v2 batch with a damaged magic byte must not be
        // skipped as legacy, so the entry's own CRC (CRC-32 of magic … end) is checked first.
        if (
          this.verifyCrc &&
          crc32 !== undefined &&
          crc32(buf.subarray(p + 16, p + size)) !== buf.readUInt32BE(p + 12)
        ) {
          result.crcErrors++;
          if (
            this.badBatch(
              p,
              corruptError(`CRC-32 mismatch in the magic ${magic} entry at offset ${offset}`),
              false,
              offset,
            )
          ) {
            return;
          }
          result.batches++;
          p += size;
          continue;
        }
        result.skippedLegacyBatches++;
        result.skippedLegacyBytes += size;
        result.error ??= new RoutemeterError(
          'RM_ERR_RECORD_BATCH_UNSUPPORTED',
          `magic ${magic} message set at offset ${offset} skipped (only RecordBatch v2 is read)`,
        );
        if (offset + 1 > result.nextOffset) result.nextOffset = offset + 1;
      } else if (magic > 2) {
        result.error ??= new RoutemeterError(
          'RM_ERR_RECORD_BATCH_UNSUPPORTED',
          `record batch magic ${magic}`,
        );
        result.stopReason = 'unsupported';
        return;
      } else if (!this.batch(buf, p, p + size)) {
        return;
      }
      result.batches++;
      p += size;
    }
  }

  private partial(avail: number, size: number): void {
    const result = this.result;
    result.partialBytes = avail;
    if (result.batches === 0 && size > 0) {
      result.stopReason = 'first-batch-too-large';
      result.requiredBytes = size;
      result.error ??= new RoutemeterError(
        'RM_ERR_FETCH_TOO_SMALL',
        `the first record batch is ${size} bytes, the fetch returned ${avail}`,
      );
    } else {
      result.stopReason = 'partial';
    }
  }

  /**
   * Counts a bad batch; returns true when the decode stops there (always when `unskippable`:
   * its length cannot be trusted to find the next batch).
   */
  private badBatch(at: number, err: RoutemeterError, unskippable: boolean, lastOffset?: number): boolean {
    const result = this.result;
    result.corruptBatches++;
    result.error ??= err;
    if (this.skipCorrupt && !unskippable) {
      const last = lastOffset ?? readInt64(this.input!.buf, at) + this.input!.buf.readInt32BE(at + 23);
      if (last + 1 > result.nextOffset) result.nextOffset = last + 1;
      return false;
    }
    result.stopReason = 'corrupt';
    return true;
  }

  /** One magic-2 batch at buf[p, end). False when the decode stops at it. */
  private batch(buf: Buffer, p: number, end: number): boolean {
    const result = this.result;
    const input = this.input!;
    const resuming = p === this.resumeAt;
    const attributes = buf.readInt16BE(p + 21);
    const baseOffset = readInt64(buf, p);
    const lastOffsetDelta = buf.readInt32BE(p + 23);
    const lastOffset = baseOffset + lastOffsetDelta;
    const count = buf.readInt32BE(p + 57);
    if (!resuming && this.verifyCrc && crc32c(buf, p + 21, end) !== buf.readUInt32BE(p + 17)) {
      result.crcErrors++;
      return !this.badBatch(p, corruptError(`CRC-32C mismatch in the batch at offset ${baseOffset}`), false);
    }
    if (lastOffsetDelta < 0 || count < 0) {
      return !this.badBatch(p, corruptError(`batch at offset ${baseOffset}: negative count or delta`), false);
    }
    const codec = attributes & 7;
    const isControl = (attributes & 0x20) !== 0;
    const producerId = readInt64(buf, p + 43);

    // READ_COMMITTED, as Kafka's Java consumer does it (CompletedFetch.nextFetchedRecord): the
    // aborted transactions that started at or before this batch's last offset become
    // "aborted producers"; a control batch whose first record is an ABORT marker ends its
    // producer's abort; a transactional batch of an aborted producer is skipped whole.
    let aborted = false;
    if (!resuming && this.aborted.length > 0 && producerId >= 0) {
      while (
        this.abortedNext < this.aborted.length &&
        this.aborted[this.abortedNext]!.firstOffset <= lastOffset
      ) {
        this.abortedProducers.add(this.aborted[this.abortedNext++]!.producerId);
      }
      if (isControl) {
        if (codec === 0 && this.isAbortMarker(buf, p + HEADER, end, count))
          this.abortedProducers.delete(producerId);
      } else if ((attributes & 0x10) !== 0 && this.abortedProducers.has(producerId)) {
        aborted = true;
      }
    }

    if (lastOffset < input.fetchOffset) result.skippedBelowOffset += count;
    else if (isControl) result.skippedControl += count;
    else if (aborted) result.skippedAborted += count;
    else if (count > 0) {
      let data = buf;
      let start = p + HEADER;
      let stop = end;
      if (codec !== 0) {
        if (resuming && this.inflated !== null) {
          data = this.inflated;
          this.inflated = null;
        } else if (codecNeedsAsync(codec)) {
          result.stopReason = 'needs-async';
          return false;
        } else {
          try {
            data = decompressSync(codec, buf.subarray(start, end), this.maxDecompressed);
          } catch (err) {
            const e = err as RoutemeterError;
            if (e.code === 'RM_ERR_RECORD_BATCH_UNSUPPORTED') {
              result.error ??= e;
              result.stopReason = 'unsupported';
              return false;
            }
            return !this.badBatch(p, e, false);
          }
        }
        start = 0;
        stop = data.length;
      }
      const bad = this.records(
        data,
        start,
        stop,
        count,
        baseOffset,
        lastOffsetDelta,
        attributes,
        producerId,
        buf,
        p,
      );
      if (bad !== null)
        return !this.badBatch(p, corruptError(`batch at offset ${baseOffset}: ${bad}`), false);
    }
    if (lastOffset + 1 > result.nextOffset) result.nextOffset = lastOffset + 1;
    return true;
  }

  /** Reads `count` records from data[start, stop); returns why they are malformed, or null. */
  private records(
    data: Buffer,
    start: number,
    stop: number,
    count: number,
    baseOffset: number,
    lastOffsetDelta: number,
    attributes: number,
    producerId: number,
    buf: Buffer,
    p: number,
  ): string | null {
    const result = this.result;
    const fetchOffset = this.input!.fetchOffset;
    const onRecord = this.onRecord;
    const r = this.reader;
    const view = this.view;
    view.baseOffset = baseOffset;
    view.producerId = producerId;
    view.partitionLeaderEpoch = buf.readInt32BE(p + 12);
    view.codec = attributes & 7;
    const logAppendTime = (attributes & 0x08) !== 0;
    const baseTimestamp = readInt64(buf, p + 27);
    const maxTimestamp = readInt64(buf, p + 35);
    r.reset(data, start, stop);
    for (let i = 0; i < count; i++) {
      r.end = stop;
      const length = r.varint();
      const recordStart = r.pos;
      const recordEnd = recordStart + length;
      if (!r.ok || length < 6 || recordEnd > stop) return `record ${i} of ${count}: bad length`;
      r.end = recordEnd;
      r.pos = recordStart + 1; // attributes: unused
      const timestampDelta = r.varint();
      const offsetDelta = r.varint();
      const keyLength = r.varint();
      const keyStart = r.pos;
      const keyEnd = keyStart + Math.max(keyLength, 0);
      r.pos = keyEnd;
      const valueLength = r.varint();
      const valueStart = r.pos;
      const valueEnd = valueStart + Math.max(valueLength, 0);
      if (
        !r.ok ||
        keyLength < -1 ||
        valueLength < -1 ||
        keyEnd > recordEnd ||
        valueEnd >= recordEnd || // the headers count takes at least one byte
        offsetDelta < 0 ||
        offsetDelta > lastOffsetDelta
      ) {
        // Records before this one were delivered and moved nextOffset past themselves.
        return `record ${i} of ${count}: malformed`;
      }
      r.pos = recordEnd;
      const offset = baseOffset + offsetDelta;
      if (offset < fetchOffset) {
        result.skippedBelowOffset++;
        continue;
      }
      view.keyStart = keyStart;
      view.keyEnd = keyEnd;
      view.keyIsNull = keyLength === -1;
      view.valueIsNull = valueLength === -1;
      view.headersStart = valueEnd;
      view.headersEnd = recordEnd;
      result.records++;
      onRecord(
        data,
        valueStart,
        valueEnd,
        offset,
        logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta,
        view,
      );
      if (offset + 1 > result.nextOffset) result.nextOffset = offset + 1;
    }
    return null;
  }

  /** A control record's key: version int16 | type int16 (0 = ABORT, 1 = COMMIT). */
  private isAbortMarker(buf: Buffer, start: number, end: number, count: number): boolean {
    if (count < 1) return false;
    const r = new VarintReader();
    r.reset(buf, start, end);
    r.varint(); // length
    r.pos++; // attributes
    r.varint(); // timestampDelta
    r.varint(); // offsetDelta
    const keyLength = r.varint();
    return r.ok && keyLength >= 4 && r.pos + 4 <= end && buf.readInt16BE(r.pos + 2) === 0;
  }
}

function corruptError(message: string): RoutemeterError {
  return new RoutemeterError('RM_ERR_RECORD_BATCH_CORRUPT', message);
}

/** int64 big-endian as a JS number (exact up to 2^53; offsets, timestamps and producer ids fit). */
export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
}

export type { StopReason } from './decode-result.js';
export { CODEC_NAMES, DecodeResult };
