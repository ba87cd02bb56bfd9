import type { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

/**
 * Metadata (API 3), versions 4–8 (the non-flexible ones every broker since 1.0
 * speaks; Kafka 4 keeps them), asked for one topic, without creating it:
 *
 *   request:  topics: [name string] | allow_auto_topic_creation bool
 *             | (v8+) include_cluster_authorized_operations bool | include_topic_authorized_operations bool
 *   response: throttle_time_ms int32 | brokers: [node_id int32 | host string | port int32 | rack string?]
 *             | cluster_id string? | controller_id int32
 *             | topics: [error_code int16 | name string | is_internal bool
 *                        | partitions: [error_code int16 | partition_index int32 | leader_id int32
 *                                       | (v7+) leader_epoch int32 | replica_nodes [int32]
 *                                       | isr_nodes [int32] | (v5+) offline_replicas [int32]]
 *                        | (v8+) topic_authorized_operations int32]
 *             | (v8+) cluster_authorized_operations int32
 */
export const METADATA_VERSIONS = { min: 4, max: 8 } as const;

export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
}

export interface MetadataPartition {
  errorCode: number;
  partition: number;
  leaderId: number;
  /** -1 before v7 */
  leaderEpoch: number;
}

export interface MetadataTopic {
  errorCode: number;
  name: string;
  partitions: MetadataPartition[];
}

export interface MetadataResponse {
  brokers: MetadataBroker[];
  topics: MetadataTopic[];
}

export function encodeMetadataRequest(w: WireWriter, version: number, topics: readonly string[]): void {
  w.array(topics, (x, t) => x.string(t));
  w.bool(false);
  if (version >= 8) w.bool(false).bool(false);
}

export function decodeMetadataResponse(r: WireReader, version: number): MetadataResponse {
  r.int32(); // throttle_time_ms
  const brokers = r.array((x) => {
    const nodeId = x.int32();
    const host = x.string();
    const port = x.int32();
    x.nullableString(); // rack
    return { nodeId, host, port };
  });
  r.nullableString(); // cluster_id
  r.int32(); // controller_id
  const topics = r.array((x) => {
    const errorCode = x.int16();
    const name = x.string();
    x.bool(); // is_internal
    const partitions = x.array((p) => {
      const errorCode = p.int16();
      const partition = p.int32();
      const leaderId = p.int32();
      const leaderEpoch = version >= 7 ? p.int32() : -1;
      p.array((n) => n.int32()); // replica_nodes
      p.array((n) => n.int32()); // isr_nodes
      if (version >= 5) p.array((n) => n.int32()); // offline_replicas
      return { errorCode, partition, leaderId, leaderEpoch };
    });
    if (version >= 8) x.int32(); // topic_authorized_operations
    return { errorCode, name, partitions };
  });
  if (version >= 8) r.int32(); // cluster_authorized_operations
  return { brokers, topics };
}
