import type { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

/**
 * ListOffsets (API 2), versions 1–5 (non-flexible; Kafka 4 removed v0), for one
 * partition of one topic:
 *
 *   request:  replica_id int32 (-1: a client) | (v2+) isolation_level int8
 *             | topics: [name string | partitions: [partition_index int32
 *                                                   | (v4+) current_leader_epoch int32 | timestamp int64]]
 *   response: (v2+) throttle_time_ms int32
 *             | topics: [name string | partitions: [partition_index int32 | error_code int16
 *                                                    | timestamp int64 | offset int64
 *                                                    | (v4+) leader_epoch int32]]
 *
 * timestamp -2 asks for the log start offset, -1 for the end: the high watermark
 * (READ_UNCOMMITTED) or the last stable offset (READ_COMMITTED).
 */
export const LIST_OFFSETS_VERSIONS = { min: 1, max: 5 } as const;
export const EARLIEST_TIMESTAMP = -2;
export const LATEST_TIMESTAMP = -1;
export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

export interface ListOffsetsRequest {
  topic: string;
  partition: number;
  timestamp: number;
  isolationLevel: number;
  /** -1: no leader epoch check */
  currentLeaderEpoch: number;
}

export interface ListOffsetsResult {
  errorCode: number;
  offset: number;
}

export function encodeListOffsetsRequest(w: WireWriter, version: number, req: ListOffsetsRequest): void {
  w.int32(-1);
  if (version >= 2) w.int8(req.isolationLevel);
  w.int32(1).string(req.topic);
  w.int32(1).int32(req.partition);
  if (version >= 4) w.int32(req.currentLeaderEpoch);
  w.int64(req.timestamp);
}

/** The answer for `partition` of `topic`; a response without it is a protocol error (null). */
export function decodeListOffsetsResponse(
  r: WireReader,
  version: number,
  topic: string,
  partition: number,
): ListOffsetsResult | null {
  if (version >= 2) r.int32(); // throttle_time_ms
  let found: ListOffsetsResult | null = null;
  r.array((t) => {
    const name = t.string();
    t.array((p) => {
      const index = p.int32();
      const errorCode = p.int16();
      p.int64(); // timestamp
      const offset = p.int64();
      if (version >= 4) p.int32(); // leader_epoch
      if (name === topic && index === partition) found = { errorCode, offset };
    });
  });
  return found;
}
