import type { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * What one decode of a fetch's records did (record-batch-decoder.ts): where it stopped and
 * why, where to fetch next, and a count of everything it skipped. One object per decoder,
 * reset by every decode: read it before the next one.
 */
export type StopReason =
  /** every byte was a whole batch and was read */
  | 'end'
  /** the bytes end inside a batch (Kafka cuts fetches at max bytes): fetch again from nextOffset */
  | 'partial'
  /** not even the first batch is whole: fetch again with at least `requiredBytes` max bytes */
  | 'first-batch-too-large'
  /** a batch fails its CRC or its own lengths: `error` is RM_ERR_RECORD_BATCH_CORRUPT (retriable) */
  | 'corrupt'
  /** a batch this process cannot read (future magic, unknown or unloadable codec): RM_ERR_RECORD_BATCH_UNSUPPORTED */
  | 'unsupported'
  /** the next batch's codec is async-only (zstd): call `resume()` */
  | 'needs-async';

export class DecodeResult {
  stopReason: StopReason = 'end';
  /** records handed to the handler */
  records = 0;
  /** whole batches (and legacy entries) read or skipped */
  batches = 0;
  /** bytes of whole batches consumed, from `start` */
  bytesConsumed = 0;
  /** the offset to fetch next */
  nextOffset = 0;
  /** bytes left at the end that belong to a batch cut off by the fetch */
  partialBytes = 0;
  /** with 'first-batch-too-large': the first batch's size */
  requiredBytes = 0;
  skippedBelowOffset = 0;
  skippedControl = 0;
  skippedAborted = 0;
  /** magic 0/1 entries skipped (their records are not read), and their bytes */
  skippedLegacyBatches = 0;
  skippedLegacyBytes = 0;
  crcErrors = 0;
  /** batches with a bad CRC or bad lengths (CRC errors included) */
  corruptBatches = 0;
  /** the first error met (also set when a bad batch was skipped or a legacy entry was) */
  error: RoutemeterError | null = null;

  reset(fetchOffset: number): void {
    this.stopReason = 'end';
    this.records = 0;
    this.batches = 0;
    this.bytesConsumed = 0;
    this.nextOffset = fetchOffset;
    this.partialBytes = 0;
    this.requiredBytes = 0;
    this.skippedBelowOffset = 0;
    this.skippedControl = 0;
    this.skippedAborted = 0;
    this.skippedLegacyBatches = 0;
    this.skippedLegacyBytes = 0;
    this.crcErrors = 0;
    this.corruptBatches = 0;
    this.error = null;
  }
}
