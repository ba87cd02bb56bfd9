/**
 * The Kafka protocol error codes a partition fetcher acts on (the broker's
 * `Errors` enum; int16 in every response), and what each one means for the loop:
 *
 *   'leader'      the partition's leader moved or is not known yet: refresh metadata, back off, retry
 *   'retry'       the broker is busy or the partition is not there yet: back off, retry
 *   'out-of-range' the fetch offset is outside [log start, high watermark]: the caller decides
 *   'fatal'       retrying cannot help (authorization, unsupported version): stop and report
 */
export type KafkaErrorAction = 'leader' | 'retry' | 'out-of-range' | 'fatal';

export const KAFKA_ERRORS: Readonly<Record<number, { name: string; action: KafkaErrorAction }>> = {
  [-1]: { name: 'UNKNOWN_SERVER_ERROR', action: 'retry' },
  1: { name: 'OFFSET_OUT_OF_RANGE', action: 'out-of-range' },
  2: { name: 'CORRUPT_MESSAGE', action: 'retry' },
  3: { name: 'UNKNOWN_TOPIC_OR_PARTITION', action: 'leader' },
  5: { name: 'LEADER_NOT_AVAILABLE', action: 'leader' },
  6: { name: 'NOT_LEADER_OR_FOLLOWER', action: 'leader' },
  7: { name: 'REQUEST_TIMED_OUT', action: 'retry' },
  8: { name: 'BROKER_NOT_AVAILABLE', action: 'leader' },
  9: { name: 'REPLICA_NOT_AVAILABLE', action: 'leader' },
  13: { name: 'NETWORK_EXCEPTION', action: 'leader' },
  14: { name: 'COORDINATOR_LOAD_IN_PROGRESS', action: 'retry' },
  29: { name: 'TOPIC_AUTHORIZATION_FAILED', action: 'fatal' },
  31: { name: 'CLUSTER_AUTHORIZATION_FAILED', action: 'fatal' },
  35: { name: 'UNSUPPORTED_VERSION', action: 'fatal' },
  56: { name: 'KAFKA_STORAGE_ERROR', action: 'leader' },
  74: { name: 'FENCED_LEADER_EPOCH', action: 'leader' },
  75: { name: 'UNKNOWN_LEADER_EPOCH', action: 'leader' },
  78: { name: 'OFFSET_NOT_AVAILABLE', action: 'retry' },
  100: { name: 'UNKNOWN_TOPIC_ID', action: 'leader' },
};

export const NO_ERROR = 0;
export const OFFSET_OUT_OF_RANGE = 1;
export const UNKNOWN_TOPIC_OR_PARTITION = 3;

export function kafkaErrorName(code: number): string {
  return KAFKA_ERRORS[code]?.name ?? `KAFKA_ERROR_${code}`;
}

/** Codes not listed are fatal: Kafka's own consumer raises them to the application too. */
export function kafkaErrorAction(code: number): KafkaErrorAction {
  return KAFKA_ERRORS[code]?.action ?? 'fatal';
}
