/**
 * Where the complete record batches of a fetch end, and the offset after them,
 * from the batch headers alone (no record is decoded here):
 *
 *   RecordBatch v2: baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32
 *                   | magic int8 (=2) | crc uint32 | attributes int16 | lastOffsetDelta int32 | …
 *   message set v0/v1 (magic 0/1): offset int64 | size int32 | crc | magic | … (a compressed
 *                   wrapper's offset is its last inner record's)
 *
 * batchLength counts the bytes after the length field, so a batch spans 12 + batchLength
 * bytes. A fetch's last batch may be cut short by max bytes: it is left for the next fetch.
 */
export interface BatchBounds {
  /** end of the last complete batch (= start if none) */
  end: number;
  /** offset after the last complete batch, or -1 if none is complete */
  nextOffset: number;
  /** bytes the first batch needs when none is complete (a batch larger than the fetch's max bytes), else 0 */
  firstBatchBytes: number;
}

const HEADER = 12;
const LAST_OFFSET_DELTA = 23;
/** the smallest well-formed entries: a v0 message (26 bytes), a v2 batch header (61 bytes) */
const MIN_LEGACY = 26;
const MIN_V2 = 61;

export function recordBatchBounds(buf: Buffer, start: number, end: number): BatchBounds {
  let pos = start;
  let nextOffset = -1;
  while (pos + HEADER <= end) {
    const size = HEADER + buf.readInt32BE(pos + 8);
    if (size < MIN_LEGACY || pos + size > end) break;
    const base = buf.readInt32BE(pos) * 0x1_0000_0000 + buf.readUInt32BE(pos + 4);
    const magic = buf.readInt8(pos + 16);
    if (magic >= 2 && size < MIN_V2) break;
    nextOffset = magic >= 2 ? base + buf.readInt32BE(pos + LAST_OFFSET_DELTA) + 1 : base + 1;
    pos += size;
  }
  const firstBatchBytes =
    nextOffset === -1 && start + HEADER <= end ? HEADER + Math.max(0, buf.readInt32BE(start + 8)) : 0;
  return { end: pos, nextOffset, firstBatchBytes };
}
