import type { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

/**
 * Fetch (API 1), versions 4–11: the non-flexible ones (v12 switched to compact
 * encodings), with READ_COMMITTED isolation (v4+), for one partition, outside any
 * fetch session (session_id 0, session_epoch -1: a full fetch each time):
 *
 *   request:  replica_id int32 (-1) | max_wait_ms int32 | min_bytes int32 | max_bytes int32
 *             | isolation_level int8 | (v7+) session_id int32 | session_epoch int32
 *             | topics: [topic string | partitions: [partition int32 | (v9+) current_leader_epoch int32
 *                                                   | fetch_offset int64 | (v5+) log_start_offset int64
 *                                                   | partition_max_bytes int32]]
 *             | (v7+) forgotten_topics_data: [topic string | partitions [int32]] | (v11+) rack_id string
 *   response: throttle_time_ms int32 | (v7+) error_code int16 | session_id int32
 *             | responses: [topic string | partitions: [partition_index int32 | error_code int16
 *                   | high_watermark int64 | last_stable_offset int64 | (v5+) log_start_offset int64
 *                   | aborted_transactions: [producer_id int64 | first_offset int64]? (null: none)
 *                   | (v11+) preferred_read_replica int32 | records bytes?]]
 *
 * `records` is left as a range of the response frame (RecordBatch v2 bytes, the
 * last batch possibly cut short by max bytes): record-batch decoding is the
 * decoder's job, not this file's.
 */
export const FETCH_VERSIONS = { min: 4, max: 11 } as const;

export interface FetchRequest {
  topic: string;
  partition: number;
  fetchOffset: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitionMaxBytes: number;
  isolationLevel: number;
  /** -1: no leader epoch check (v9+ checks it against the leader's when given) */
  currentLeaderEpoch: number;
}

export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

export interface FetchedPartition {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  /** -1 before v5 */
  logStartOffset: number;
  /** transactions aborted within the fetched range (READ_COMMITTED), null if none */
  abortedTransactions: AbortedTransaction[] | null;
  /** the whole response frame and the records' range in it: never copied */
  buffer: Buffer;
  recordsStart: number;
  recordsEnd: number;
}

export function encodeFetchRequest(w: WireWriter, version: number, req: FetchRequest): void {
  w.int32(-1).int32(req.maxWaitMs).int32(req.minBytes).int32(req.maxBytes).int8(req.isolationLevel);
  if (version >= 7) w.int32(0).int32(-1);
  w.int32(1).string(req.topic);
  w.int32(1).int32(req.partition);
  if (version >= 9) w.int32(req.currentLeaderEpoch);
  w.int64(req.fetchOffset);
  if (version >= 5) w.int64(-1);
  w.int32(req.partitionMaxBytes);
  if (version >= 7) w.int32(0);
  if (version >= 11) w.string('');
}

/**
 * The whole-request error (v7+: fetch sessions; 0 without one) and the answer for
 * `partition` of `topic`, or null if the response does not hold it.
 */
export function decodeFetchResponse(
  r: WireReader,
  version: number,
  topic: string,
  partition: number,
): { errorCode: number; partition: FetchedPartition | null } {
  r.int32(); // throttle_time_ms
  let errorCode = 0;
  if (version >= 7) {
    errorCode = r.int16();
    r.int32(); // session_id
  }
  let found: FetchedPartition | null = null;
  r.array((t) => {
    const name = t.string();
    t.array((p) => {
      const index = p.int32();
      const partError = p.int16();
      const highWatermark = p.int64();
      const lastStableOffset = p.int64();
      const logStartOffset = version >= 5 ? p.int64() : -1;
      const abortedCount = p.int32();
      let abortedTransactions: AbortedTransaction[] | null = null;
      if (abortedCount >= 0) {
        abortedTransactions = [];
        for (let i = 0; i < abortedCount; i++) {
          abortedTransactions.push({ producerId: p.int64(), firstOffset: p.int64() });
        }
      }
      if (version >= 11) p.int32(); // preferred_read_replica (-1: read from the leader)
      const range = p.bytesRange();
      if (name === topic && index === partition) {
        found = {
          errorCode: partError,
          highWatermark,
          lastStableOffset,
          logStartOffset,
          abortedTransactions,
          buffer: p.buf,
          recordsStart: range ? range[0] : 0,
          recordsEnd: range ? range[1] : 0,
        };
      }
    });
  });
  return { errorCode, partition: found };
}
