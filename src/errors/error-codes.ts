/**
 * Every error routemeter raises has one of these stable codes. Callers, logs and
 * tests match on `code`, never on the message or on `instanceof` (errors that
 * cross a worker-thread boundary arrive as plain data; see `serialize-error.ts`).
 *
 * `canRetry` says whether the same operation may succeed if tried again later
 * (a broker or Redis outage), as opposed to bad input or a bug.
 */
export const ERROR_CODES = {
  RM_ERR_CONFIG: { canRetry: false, description: 'configuration is missing or invalid' },
  RM_ERR_KAFKA_UNAVAILABLE: { canRetry: true, description: 'Kafka could not acknowledge the records' },
  RM_ERR_KAFKA_CONNECTION: {
    canRetry: true,
    description: 'a broker connection could not be opened, or closed with requests in flight',
  },
  RM_ERR_KAFKA_RETRIABLE: {
    canRetry: true,
    description:
      'a broker answered with an error that passes (leader moved, partition not there yet, broker loading)',
  },
  RM_ERR_KAFKA_REJECTED: {
    canRetry: false,
    description: 'a broker refused a request for good (authorization, no API version both sides support)',
  },
  RM_ERR_KAFKA_PROTOCOL: {
    canRetry: false,
    description: 'a broker response does not parse as the Kafka protocol version asked for (a bug)',
  },
  RM_ERR_PRODUCER_SATURATED: { canRetry: true, description: 'the producer queue is full' },
  RM_ERR_PRODUCE_TIMEOUT: {
    canRetry: true,
    description: 'Kafka did not acknowledge the records within the drain deadline',
  },
  RM_ERR_DRAIN_CLOSING: {
    canRetry: true,
    description: 'the drain is shutting down and accepts no new batches',
  },
  RM_ERR_FORMAT: {
    canRetry: false,
    description: 'a value cannot be written in the logplex or router line format',
  },
  RM_ERR_REDIS_UNAVAILABLE: { canRetry: true, description: 'Redis could not be reached' },
  RM_ERR_FLUSH_FENCED: { canRetry: false, description: 'a flush came from an owner whose epoch is stale' },
  RM_ERR_FLUSH_OFFSET_MISMATCH: {
    canRetry: false,
    description: 'a flush did not start at the stored next offset of its partition',
  },
  RM_ERR_REDIS_SCRIPT: {
    canRetry: false,
    description:
      'Redis rejected a command or a script answered something it never answers (a bug, not an outage)',
  },
  RM_ERR_INVALID_BATCH: { canRetry: false, description: 'a flush batch or offset move is malformed (a bug)' },
  RM_ERR_INVALID_QUERY: {
    canRetry: false,
    description: 'a query asks for an impossible range or resolution',
  },
  RM_ERR_DECODE: { canRetry: false, description: 'stored bytes cannot be decoded (msgpack, packed values)' },
  RM_ERR_RECORD_BATCH_CORRUPT: {
    // Retriable as in Kafka's Java client (CorruptRecordException extends RetriableException):
    // bytes damaged between the broker's disk and us read fine when fetched again; a batch
    // that is damaged on the broker's disk fails every time, and the fetcher's retry budget
    // escalates it instead of skipping (skipping would lose acknowledged records).
    canRetry: true,
    description:
      'a fetched record batch fails its CRC-32C or its own lengths (refetch; escalate if it persists)',
  },
  RM_ERR_RECORD_BATCH_UNSUPPORTED: {
    canRetry: false,
    description:
      'a fetched record batch uses a format or codec this process cannot read (magic 0/1, unknown or unloadable codec)',
  },
  RM_ERR_FETCH_TOO_SMALL: {
    canRetry: true,
    description:
      'the first record batch of a fetch is larger than the fetch returned (fetch again with more max bytes)',
  },
  RM_ERR_TIMEOUT: { canRetry: true, description: 'an operation got no answer within its time limit' },
  RM_ERR_WORKER_CRASHED: { canRetry: true, description: 'a worker thread exited unexpectedly' },
  RM_ERR_RESTART_BUDGET_EXHAUSTED: {
    canRetry: false,
    description: 'too many worker restarts within the supervision window',
  },
  RM_ERR_NOT_STARTED: { canRetry: true, description: 'a component was used before its start() finished' },
  RM_ERR_INTERNAL: {
    canRetry: false,
    description: 'an invariant of routemeter itself does not hold (a bug)',
  },
  RM_ERR_PROTOCOL: { canRetry: false, description: 'an unknown message crossed the main/worker boundary' },
  RM_ERR_BUILD_MISSING: {
    canRetry: false,
    description: 'a compiled worker script is missing from dist/ (run `npm run build`)',
  },
  RM_ERR_QUERY_PARAM: {
    canRetry: false,
    description: 'an API query parameter is malformed or out of bounds',
  },
  RM_ERR_UNKNOWN_APP: { canRetry: false, description: 'routemeter has no data for the app asked for' },
  RM_ERR_STACK: { canRetry: false, description: 'the local Kafka/Redis stack could not be managed' },
  RM_ERR_REPLAY_OPTION: {
    canRetry: false,
    description: 'a replay option is missing, invalid, or asks for something unsafe without opting in',
  },
} as const satisfies Record<string, { canRetry: boolean; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
